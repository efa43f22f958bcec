/**
 * Who is asking: the client's address, for rate limits and the login log, read the same way for
 * HTTP requests and for the Socket.IO handshake.
 *
 * Behind reverse proxies the TCP peer is the nearest proxy, and each proxy appends the address it
 * saw to `X-Forwarded-For`. Only the entries our own proxies appended can be believed: everything to
 * their left was written by whoever connected to the outermost proxy, an attacker included. So the
 * chain is read from the right, as Express's and fastify's `trust proxy` (the `proxy-addr` package)
 * do: walk past the hops we trust and take the first address we do not. Taking the leftmost entry
 * let one client pose as any number of addresses.
 */
import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** Which proxies in front of us to believe (config `TRUST_PROXY`). */
export interface TrustProxy {
  /** This many nearest hops are our proxies, whatever their addresses (`TRUST_PROXY=1`). */
  hops: number;
  /** Addresses or CIDR ranges of our proxies, believed at any position in the chain. */
  proxies: string[];
}

export const TRUST_NONE: TrustProxy = Object.freeze({ hops: 0, proxies: [] }) as TrustProxy;

/**
 * `TRUST_PROXY`: empty, `0` or `false` trusts nobody; `1` or `true` one hop; `<n>` n hops; otherwise a
 * comma-separated list of proxy addresses and CIDRs (`10.0.0.0/8,fd00::/8`), optionally with a hop
 * count among them (`1,10.0.0.0/8`).
 */
export function parseTrustProxy(raw: string | undefined): TrustProxy {
  const text = raw?.trim() ?? '';
  if (text === '' || text === 'false') return TRUST_NONE;
  if (text === 'true') return { hops: 1, proxies: [] };
  let hops = 0;
  const proxies: string[] = [];
  for (const token of text.split(',').map((t) => t.trim())) {
    if (/^\d+$/.test(token)) hops = Math.max(hops, Number(token));
    else if (parseCidr(token)) proxies.push(token);
    else
      throw new Error(
        `TRUST_PROXY: "${token}" is neither a hop count nor an IP address or CIDR range`,
      );
  }
  return { hops, proxies };
}

function parseCidr(
  text: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const [address = '', bits, extra] = text.split('/');
  const v = isIP(address);
  if (v === 0 || extra !== undefined) return null;
  const max = v === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d+$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return null;
  return { address, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

/** `::ffff:1.2.3.4` (an IPv4 peer on a dual-stack socket) is 1.2.3.4. */
function normalise(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address.toLowerCase();
}

export type ClientAddressOf = (req: IncomingMessage) => string;

/** Builds the resolver once per configuration (the CIDR list is compiled here, not per request). */
export function clientAddressResolver(trust: TrustProxy): ClientAddressOf {
  const list = new BlockList();
  for (const proxy of trust.proxies) {
    const cidr = parseCidr(proxy);
    if (cidr) list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  const trusted = (address: string, hop: number): boolean =>
    hop < trust.hops || list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  const off = trust.hops === 0 && trust.proxies.length === 0;

  return (req) => {
    const peer = normalise(req.socket.remoteAddress ?? '');
    if (off) return peer || 'unknown';
    return resolveChain(peer, req.headers['x-forwarded-for'], trusted);
  };
}

/**
 * The TCP peer first, then the forwarded entries from right to left; stop at the first address that
 * is not a trusted proxy. An entry that is not an address at all ends the walk at the last good one:
 * only a client can have written it, so the proxy next to it is the best we know.
 */
export function resolveChain(
  peer: string,
  forwarded: string | string[] | undefined,
  trusted: (address: string, hop: number) => boolean,
): string {
  const header = Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '');
  const chain = header
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .reverse();
  let address = peer || 'unknown';
  if (!isIP(address)) return address;
  for (let hop = 0; hop < chain.length; hop++) {
    if (!trusted(address, hop)) return address;
    const next = normalise(chain[hop]!);
    if (!isIP(next)) return address;
    address = next;
  }
  return address;
}

/**
 * The key a per-address limit counts under. One IPv6 subscriber usually holds a whole /64 and can
 * pick a new address from it for every request, so IPv6 addresses are counted by their /64.
 */
export function addressKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // A dotted IPv4 tail (`64:ff9b::1.2.3.4`) fills two groups.
  const width = right.length + (right.at(-1)?.includes('.') ? 1 : 0);
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - width).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (g === '' ? '0' : g.replace(/^0+(?=.)/, '')))
    .join(':')}::/64`;
}
