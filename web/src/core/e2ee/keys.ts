/**
 * The engine's end-to-end encryption, over the keyring: setting up this device's identity at
 * sign-in (restore the backup, or make and publish a new one), sealing what the server stores for
 * a peer and opening what it hands back, and signing and checking the channel fingerprints.
 */
import type { OfflineMessage } from '../../../../shared/events.ts';
import { EngineError } from '../api.ts';
import type { ServerLink } from '../session.ts';
import { BackupError, unwrapIdentity, wrapIdentity } from './backup.ts';
import { signChannel, verifyChannel, type ChannelClaim } from './channel-auth.ts';
import { generateIdentity, type Identity } from './identity.ts';
import type { Keyring } from './keyring.ts';
import type { EngineNotice } from '../notices.ts';
import { open, seal, type SealContext } from './seal.ts';

/**
 * Why a device cannot use its keys, the reason the session ends with (worded on the sign-in
 * screen and by the terminal): no keys on this device yet, or the server holds keys made on
 * another device. Either way the user has to sign in with the password again.
 */
export const KEYS_LOCKED_REASONS = ['keys-locked', 'keys-elsewhere'] as const;
export type KeysLockedReason = (typeof KEYS_LOCKED_REASONS)[number];

export class KeysLocked extends Error {
  constructor(
    readonly reason: KeysLockedReason,
    message: string,
  ) {
    super(message);
    this.name = 'KeysLocked';
  }
}

/** What opening a stored copy came to. */
export type Opened =
  | { ok: true; text: string }
  /** Sealed with a key change I have not decided on: kept until I do. */
  | { ok: false; held: true }
  | { ok: false; held: false; cause: 'no-key' | 'integrity' };

/**
 * How a sign-in set up this device's identity: the keys it already had (`kept`), the server's
 * backup opened with the password (`restored`: a new browser for the account, most often), or
 * new keys made and published (`created`: a first sign-in, or a backup that would not open).
 */
export type KeySetup = 'kept' | 'restored' | 'created';

export interface KeysDeps {
  server: ServerLink;
  notice(notice: EngineNotice): void;
}

export class Keys {
  #keyring: Keyring | null = null;
  /** Failed integrity checks (stored copies and channels), counted, never shown as messages. */
  rejected = 0;

  constructor(private readonly deps: KeysDeps) {}

  get keyring(): Keyring | null {
    return this.#keyring;
  }

  /** Uses `keyring` as it is (its identity already set up). */
  attach(keyring: Keyring): void {
    this.#keyring = keyring;
  }

  #ring(): Keyring {
    if (!this.#keyring)
      throw new EngineError({ code: 'UNAUTHENTICATED', message: 'sign in first' });
    return this.#keyring;
  }

  /**
   * This device's identity for `username`, at every sign-in. With the password (a login): the
   * server's backup is restored when it holds other keys than this device, and a first sign-in
   * makes and publishes keys with their backup. Without it (a resumed session), only keys already
   * on this device can be used.
   */
  async establish(keyring: Keyring, username: string, password: string | null): Promise<KeySetup> {
    this.attach(keyring);
    const { server } = this.deps;
    const remote = await server.request('keys:restore', {});
    const local = keyring.identity;
    if (local && remote.publicKey === local.bundle) {
      if (remote.backup === null && password !== null)
        await this.#publish(local, username, password);
      return 'kept';
    }
    if (password === null) {
      if (!local)
        throw new KeysLocked(
          'keys-locked',
          'Sign in with your password to unlock your messages on this device.',
        );
      if (remote.publicKey !== null)
        throw new KeysLocked(
          'keys-elsewhere',
          'Your keys changed on another device. Sign in with your password to restore them.',
        );
      this.deps.notice({ kind: 'publish-key-needed' });
      return 'kept';
    }
    if (remote.publicKey !== null && remote.backup !== null) {
      try {
        await keyring.adopt(
          await unwrapIdentity(remote.backup, username, remote.publicKey, password),
        );
        return 'restored';
      } catch (err) {
        if (!(err instanceof BackupError)) throw err;
        console.warn(`The key backup did not open: ${err.message}`);
        this.deps.notice({ kind: 'backup-unopened', cause: err.reason });
      }
    }
    // Keys this device already has are kept when the server has none (its data was lost).
    const kept = local && remote.publicKey === null;
    const identity = kept ? local : generateIdentity();
    await this.#publish(identity, username, password);
    await keyring.adopt(identity);
    return kept ? 'kept' : 'created';
  }

  async #publish(identity: Identity, username: string, password: string): Promise<void> {
    const backup = await wrapIdentity(identity, username, password);
    await this.deps.server.request('keys:publish', { publicKey: identity.bundle, backup });
  }

  /** The backup re-wrapped for a new password, for `auth:changePassword`. */
  async rewrap(username: string, password: string): Promise<string> {
    const identity = this.#ring().identity;
    if (!identity)
      throw new EngineError({
        code: 'UNAUTHENTICATED',
        message: 'your keys are not unlocked',
        details: { reason: 'keys-locked' },
      });
    return wrapIdentity(identity, username, password);
  }

  /** A stored copy from me for `to.to`, sealed to their pinned key. */
  seal(to: Omit<SealContext, 'from'>, plaintext: string): string {
    const ring = this.#ring();
    const context: SealContext = { ...to, from: ring.user };
    const trust = ring.trust(context.to);
    if (trust.state === 'changed') {
      throw new EngineError({
        code: 'FORBIDDEN',
        message: `${context.to}'s security key changed: compare your safety number and accept the new key, then send again`,
        details: { reason: 'key-changed', username: context.to },
      });
    }
    const key = ring.pairKey(context.to);
    if (!key) {
      throw new EngineError({
        code: 'NOT_FOUND',
        message: `${context.to} has no security key yet (they need to sign in once with this app)`,
        details: { reason: 'no-key', username: context.to },
      });
    }
    return seal(key, context, plaintext);
  }

  /** A stored copy from `stored.from` to me, opened with the key pinned for them. */
  open(stored: OfflineMessage, groupId: number | undefined): Opened {
    const ring = this.#ring();
    const context: SealContext = { from: stored.from, to: ring.user, id: stored.id, groupId };
    const key = ring.pairKey(stored.from);
    const text = key ? open(key, context, stored.payload) : null;
    if (text !== null) return { ok: true, text };
    const pending = ring.pendingFor(stored.from);
    if (pending) {
      const pendingKey = ring.pairKey(stored.from, pending);
      if (pendingKey && open(pendingKey, context, stored.payload) !== null)
        return { ok: false, held: true };
    }
    this.rejected++;
    return {
      ok: false,
      held: false,
      cause: key ? 'integrity' : 'no-key',
    };
  }

  /** Keeps a copy sealed with a pending key until the change is decided (`release`). */
  hold(stored: OfflineMessage): Promise<void> {
    return this.#ring().hold(stored);
  }

  signChannel(claim: ChannelClaim): string | null {
    const identity = this.#keyring?.identity;
    return identity ? signChannel(identity, claim) : null;
  }

  /**
   * 'ok'; 'unknown' (no key pinned for them yet); 'pending' (signed with the changed key that waits
   * for my decision: most likely their new device, refused until I accept it); or 'bad' (a
   * signature no key of theirs made).
   */
  checkChannel(
    claim: ChannelClaim,
    signature: string | undefined,
  ): 'ok' | 'unknown' | 'pending' | 'bad' {
    const key = this.#keyring?.keyFor(claim.from);
    if (!key) return 'unknown';
    if (verifyChannel(key, claim, signature)) return 'ok';
    const pending = this.#keyring?.pendingFor(claim.from);
    if (pending && verifyChannel(pending, claim, signature)) return 'pending';
    this.rejected++;
    return 'bad';
  }

  signedOut(): void {
    this.#keyring?.close();
    this.#keyring = null;
  }
}
