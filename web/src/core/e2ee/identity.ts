/**
 * An account's identity: an Ed25519 signing key (signs channel fingerprints, and binds the other
 * key) and an X25519 key-agreement key (pairwise keys for stored messages). Made on the device at
 * first sign-in; the secret halves leave it only inside the password-wrapped backup (backup.ts).
 *
 * Crypto is @noble/curves (audited, pure JS, the same code in Chromium and Node 20). WebCrypto's
 * Ed25519/X25519 would do in both today, but its keys are opaque objects that cannot be wrapped for
 * the backup without extractable-key juggling, and its X25519 arrived late in some browsers.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { fields, fromBase64url, toBase64url } from './codec.ts';

export interface PublicIdentity {
  /** The published form: `k1.<signing key>.<agreement key>.<signature>`, all base64url. */
  readonly bundle: string;
  readonly sign: Uint8Array;
  readonly dh: Uint8Array;
}

export interface Identity extends PublicIdentity {
  readonly signSecret: Uint8Array;
  readonly dhSecret: Uint8Array;
}

const BUNDLE_CONTEXT = 'p2sp/bundle/v1';

export function generateIdentity(): Identity {
  return identityFromSecrets(ed25519.utils.randomSecretKey(), x25519.utils.randomSecretKey());
}

export function identityFromSecrets(signSecret: Uint8Array, dhSecret: Uint8Array): Identity {
  const sign = ed25519.getPublicKey(signSecret);
  const dh = x25519.getPublicKey(dhSecret);
  // The signing key vouches for the agreement key, so the pair travels as one unit: a server
  // cannot pair someone's signing key with an agreement key of its own.
  const binding = ed25519.sign(fields(BUNDLE_CONTEXT, dh), signSecret);
  const bundle = ['k1', toBase64url(sign), toBase64url(dh), toBase64url(binding)].join('.');
  return { bundle, sign, dh, signSecret, dhSecret };
}

/** The 64 secret bytes (signing, then agreement), for the backup and the device's own store. */
export function secretsOf(identity: Identity): Uint8Array {
  const out = new Uint8Array(64);
  out.set(identity.signSecret, 0);
  out.set(identity.dhSecret, 32);
  return out;
}

export function identityFromSecretBytes(bytes: Uint8Array): Identity | null {
  if (bytes.length !== 64) return null;
  try {
    return identityFromSecrets(bytes.slice(0, 32), bytes.slice(32));
  } catch {
    return null;
  }
}

/** A published bundle, checked: null unless both keys are well formed and bound to each other. */
export function parseBundle(bundle: string): PublicIdentity | null {
  const parts = bundle.split('.');
  if (parts.length !== 4 || parts[0] !== 'k1') return null;
  const sign = fromBase64url(parts[1] as string, 32);
  const dh = fromBase64url(parts[2] as string, 32);
  const binding = fromBase64url(parts[3] as string, 64);
  if (!sign || !dh || !binding) return null;
  try {
    if (!ed25519.verify(binding, fields(BUNDLE_CONTEXT, dh), sign)) return null;
  } catch {
    return null;
  }
  return { bundle, sign, dh };
}

export const signWith = (identity: Identity, message: Uint8Array): Uint8Array =>
  ed25519.sign(message, identity.signSecret);

export function verifyBy(key: PublicIdentity, signature: Uint8Array, message: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, key.sign);
  } catch {
    return false;
  }
}
