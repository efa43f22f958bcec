/**
 * Binding a data channel to an account. The DTLS fingerprint in an SDP offer or answer is what the
 * channel's encryption is keyed to; the server relays the SDP and could swap it for its own and
 * sit in the middle. So each side signs its fingerprints, with the connection attempt's id and both
 * names, with its identity key, and the other side checks that signature against the key it pinned
 * for that person before it lets the SDP in.
 */
import { usernameKey } from '../../../../shared/names.ts';
import { fields, fromBase64url, toBase64url } from './codec.ts';
import { signWith, verifyBy, type Identity, type PublicIdentity } from './identity.ts';

/** The `a=fingerprint:` values of an SDP, sorted; empty when it has none. */
export function fingerprints(sdp: string): string[] {
  const found = new Set<string>();
  for (const line of sdp.split(/\r?\n/)) {
    const m = /^a=fingerprint:(\S+)\s+(\S+)\s*$/i.exec(line);
    if (m) found.add(`${(m[1] as string).toLowerCase()} ${(m[2] as string).toUpperCase()}`);
  }
  return [...found].sort();
}

export interface ChannelClaim {
  from: string;
  to: string;
  sid: string;
  /** 'offer' or 'answer'. */
  type: string;
  sdp: string;
}

const statement = (c: ChannelClaim, prints: string[]) =>
  fields('p2sp/channel/v1', usernameKey(c.from), usernameKey(c.to), c.sid, c.type, ...prints);

/** The signature to send with an offer or answer; null when the SDP has no fingerprint to sign. */
export function signChannel(identity: Identity, claim: ChannelClaim): string | null {
  const prints = fingerprints(claim.sdp);
  if (prints.length === 0) return null;
  return toBase64url(signWith(identity, statement(claim, prints)));
}

export function verifyChannel(
  key: PublicIdentity,
  claim: ChannelClaim,
  signature: string | undefined,
): boolean {
  if (signature === undefined) return false;
  const prints = fingerprints(claim.sdp);
  const sig = fromBase64url(signature, 64);
  if (prints.length === 0 || !sig) return false;
  return verifyBy(key, sig, statement(claim, prints));
}
