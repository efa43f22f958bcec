/**
 * The key backup: the identity's secrets wrapped with a key derived on the client from the user's
 * password, so a new browser can restore them and read what was stored while it was away. The
 * server keeps the wrapped blob and never sees the password-derived key.
 *
 * The wrap key is Argon2id (memory-hard) over the password with its own random salt and a
 * personalization string, so it shares nothing with the server's login hash (which has its own
 * salt, on the server). XChaCha20-Poly1305 seals the secrets, with the username and the public
 * bundle as associated data: a server that swaps blobs between accounts gets a failed unwrap.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { argon2idAsync } from '@noble/hashes/argon2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { usernameKey } from '../../../../shared/names.ts';
import { fields, fromBase64url, toBase64url } from './codec.ts';
import { identityFromSecretBytes, secretsOf, type Identity } from './identity.ts';

/** OWASP's Argon2id floor (19 MiB, 2 passes): about half a second in a browser on this machine. */
export const BACKUP_KDF = { m: 19_456, t: 2, p: 1 } as const;

const PERSONALIZATION = 'p2sp/key-backup/v1';

export class BackupError extends Error {
  constructor(
    readonly reason: 'malformed' | 'wrong-password',
    message: string,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

async function wrapKey(
  password: string,
  salt: Uint8Array,
  kdf: { m: number; t: number; p: number },
): Promise<Uint8Array> {
  return argon2idAsync(password, salt, { ...kdf, dkLen: 32, personalization: PERSONALIZATION });
}

const associated = (username: string, bundle: string) =>
  fields(PERSONALIZATION, usernameKey(username), bundle);

/** `b1.<m>.<t>.<p>.<salt>.<nonce>.<sealed secrets>`: printable ASCII, as the server wants it. */
export async function wrapIdentity(
  identity: Identity,
  username: string,
  password: string,
): Promise<string> {
  const salt = randomBytes(16);
  const nonce = randomBytes(24);
  const key = await wrapKey(password, salt, BACKUP_KDF);
  const sealed = xchacha20poly1305(key, nonce, associated(username, identity.bundle)).encrypt(
    secretsOf(identity),
  );
  const { m, t, p } = BACKUP_KDF;
  return ['b1', m, t, p, toBase64url(salt), toBase64url(nonce), toBase64url(sealed)].join('.');
}

/**
 * The identity in a backup, for this account and this published bundle; a BackupError if the
 * blob is not a backup, or the password (or the bundle, or the account) does not open it.
 */
export async function unwrapIdentity(
  backup: string,
  username: string,
  bundle: string,
  password: string,
): Promise<Identity> {
  const parts = backup.split('.');
  const [tag, ms, ts, ps, saltText, nonceText, sealedText] = parts;
  const [m, t, p] = [ms, ts, ps].map((n) => Number(n));
  if (parts.length !== 7 || tag !== 'b1')
    throw new BackupError('malformed', 'the key backup is not in a format this app knows');
  // Bounds: a lying server must not make us spend a gigabyte or an hour.
  if (!Number.isInteger(m) || !Number.isInteger(t) || !Number.isInteger(p))
    throw new BackupError('malformed', 'the key backup names no valid parameters');
  if (
    (m as number) < 8_192 ||
    (m as number) > 262_144 ||
    (t as number) < 1 ||
    (t as number) > 10 ||
    p !== 1
  )
    throw new BackupError('malformed', 'the key backup asks for unreasonable parameters');
  const salt = fromBase64url(saltText as string, 16);
  const nonce = fromBase64url(nonceText as string, 24);
  const sealed = fromBase64url(sealedText as string, 64 + 16);
  if (!salt || !nonce || !sealed) throw new BackupError('malformed', 'the key backup is damaged');
  const key = await wrapKey(password, salt, { m: m as number, t: t as number, p: 1 });
  let secrets: Uint8Array;
  try {
    secrets = xchacha20poly1305(key, nonce, associated(username, bundle)).decrypt(sealed);
  } catch {
    throw new BackupError('wrong-password', 'the password does not open the key backup');
  }
  const identity = identityFromSecretBytes(secrets);
  // Ed25519 signatures are deterministic: the same secrets give the same bundle, byte for byte.
  if (!identity || identity.bundle !== bundle)
    throw new BackupError('malformed', 'the key backup holds other keys than the published ones');
  return identity;
}
