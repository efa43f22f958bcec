import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../signaling/config.ts';
import { turnCredential } from '../../signaling/services/ice.ts';

describe('TURN settings', () => {
  it('are off unless both TURN_SECRET and TURN_URLS are set; either alone is an error', () => {
    expect(loadConfig({}).turn).toBeNull();
    expect(() => loadConfig({ TURN_SECRET: 's' })).toThrow(/TURN_URLS/);
    expect(() => loadConfig({ TURN_URLS: 'turn:t.example.org' })).toThrow(/TURN_SECRET/);
    expect(() => loadConfig({ TURN_SECRET: 's', TURN_URLS: 'stun:t.example.org' })).toThrow(
      /not a turn/,
    );
    expect(() =>
      loadConfig({ TURN_SECRET: 's', TURN_URLS: 'turn:t', TURN_TTL_SECONDS: '10' }),
    ).toThrow(/at least 60/);
    expect(
      loadConfig({
        TURN_SECRET: 's',
        TURN_URLS: 'turn:t.example.org:3478, turns:t.example.org:5349?transport=tcp',
      }).turn,
    ).toEqual({
      secret: 's',
      urls: ['turn:t.example.org:3478', 'turns:t.example.org:5349?transport=tcp'],
      ttlSeconds: 86_400,
    });
    expect(loadConfig({ ICE_TRANSPORT_POLICY: 'relay' }).iceTransportPolicy).toBe('relay');
    expect(() => loadConfig({ ICE_TRANSPORT_POLICY: 'host' })).toThrow(/ICE_TRANSPORT_POLICY/);
  });

  it('mint TURN REST API credentials: <expiry>:<user id>, base64(HMAC-SHA1(secret, username))', () => {
    // Expected value from `printf %s 1700000600:42 | openssl dgst -sha1 -hmac north-wind -binary | base64`.
    const turn = { secret: 'north-wind', urls: ['turn:t.example.org'], ttlSeconds: 600 };
    expect(turnCredential(turn, 42, 1_700_000_000_900)).toEqual({
      server: {
        urls: ['turn:t.example.org'],
        username: '1700000600:42',
        credential: 'NztVZCgnXpeQIl+kKHqjrQMgRRs=',
      },
      expiresAtMs: 1_700_000_600_000,
    });
  });
});
