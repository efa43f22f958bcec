import { describe, expect, it } from 'vitest';
import { addressKey, parseTrustProxy } from '../../signaling/client-address.ts';
import { loadConfig } from '../../signaling/config.ts';

describe('TRUST_PROXY', () => {
  it('keeps 1 and true meaning one hop, and off meaning no one', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toEqual({ hops: 1, proxies: [] });
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toEqual({ hops: 1, proxies: [] });
    for (const off of [undefined, '', '0', 'false'])
      expect(loadConfig({ TRUST_PROXY: off }).trustProxy).toEqual({ hops: 0, proxies: [] });
  });

  it('takes a hop count, a list of addresses and CIDRs, or both', () => {
    expect(parseTrustProxy('3')).toEqual({ hops: 3, proxies: [] });
    expect(parseTrustProxy('10.0.0.0/8, 192.168.1.5,fd00::/8')).toEqual({
      hops: 0,
      proxies: ['10.0.0.0/8', '192.168.1.5', 'fd00::/8'],
    });
    expect(parseTrustProxy('1,10.0.0.0/8')).toEqual({ hops: 1, proxies: ['10.0.0.0/8'] });
  });

  it('refuses what it cannot read rather than trusting nobody (or everybody) silently', () => {
    for (const bad of ['yes', '10.0.0.0/33', '10.0.0.0/8/1', 'proxy.example.org', '-1'])
      expect(() => parseTrustProxy(bad), bad).toThrow(/TRUST_PROXY/);
  });
});

describe('per-address limit keys', () => {
  it('counts an IPv4 address as itself', () => {
    expect(addressKey('198.51.100.7')).toBe('198.51.100.7');
  });

  it('counts IPv6 addresses by their /64, however they are written', () => {
    const key = addressKey('2001:db8:1:2::1');
    expect(key).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:eeee:dddd:cccc')).toBe(key);
    expect(addressKey('2001:db8:1:3::1')).not.toBe(key);
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('2001:db8::')).toBe('2001:db8:0:0::/64');
  });
});
