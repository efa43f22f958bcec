/**
 * The device's keys: my identity, and the keys I pinned for the people I talk to.
 *
 * Keys are pinned on first use: the first key the server shows for someone is theirs from then on.
 * A different key later (a new device without the backup, or a server lying) is held as a pending
 * change: nothing is sealed to it, no channel signed with it is accepted and no copy sealed with it
 * is shown until I accept it, and copies that arrive meanwhile wait here (`held`) rather than
 * being lost. Verifying a safety number marks the pin verified; a verified pin that changes is
 * the loud case.
 *
 * Stored in its own IndexedDB database beside the history, so the keys' rules live in one module.
 */
import { Dexie, type Table } from 'dexie';
import type { OfflineMessage } from '../../../../shared/events.ts';
import { usernameKey } from '../../../../shared/names.ts';
import type { HistoryPlatform } from '../history.ts';
import { fromBase64url, toBase64url } from './codec.ts';
import {
  identityFromSecretBytes,
  parseBundle,
  secretsOf,
  type Identity,
  type PublicIdentity,
} from './identity.ts';
import { pairKey } from './seal.ts';
import { safetyNumber } from './safety-number.ts';

/** What the UI shows of one contact's key. */
export interface TrustState {
  username: string;
  /** `none`: no key known yet; `pinned`: in use; `changed`: a different key is waiting for me. */
  state: 'none' | 'pinned' | 'changed';
  verified: boolean;
  /** A verified contact whose key changed: the loud warning. */
  wasVerified: boolean;
}

interface PinRow {
  key: string;
  username: string;
  bundle: string;
  verified: boolean;
  /** A different key the server showed since, not accepted yet. */
  pending: string | null;
  wasVerified: boolean;
  changedAt: number | null;
}

interface OwnRow {
  id: 'me';
  secrets: string;
  bundle: string;
}

interface HeldRow {
  from: string;
  id: string;
  message: OfflineMessage;
}

type Db = Dexie & {
  own: Table<OwnRow, string>;
  pins: Table<PinRow, string>;
  held: Table<HeldRow, [string, string]>;
};

export class Keyring {
  readonly #pins = new Map<string, PinRow>();
  readonly #parsed = new Map<string, PublicIdentity>();
  readonly #pairs = new Map<string, Uint8Array>();
  #identity: Identity | null;

  private constructor(
    readonly user: string,
    private readonly db: Db,
    identity: Identity | null,
    pins: PinRow[],
    private readonly changed: (trust: TrustState) => void,
  ) {
    this.#identity = identity;
    for (const pin of pins) this.#pins.set(pin.key, pin);
  }

  static async open(
    user: string,
    platform: HistoryPlatform,
    changed: (trust: TrustState) => void,
  ): Promise<Keyring> {
    const db = new Dexie(`p2sp-keys-${user}`, {
      ...(platform.indexedDB ? { indexedDB: platform.indexedDB } : {}),
      ...(platform.IDBKeyRange ? { IDBKeyRange: platform.IDBKeyRange } : {}),
    }) as Db;
    db.version(1).stores({ own: 'id', pins: 'key', held: '[from+id], from' });
    await db.open();
    const own = await db.own.get('me');
    const secrets = own ? fromBase64url(own.secrets, 64) : null;
    const identity = secrets ? identityFromSecretBytes(secrets) : null;
    return new Keyring(user, db, identity, await db.pins.toArray(), changed);
  }

  get identity(): Identity | null {
    return this.#identity;
  }

  get isOpen(): boolean {
    return this.db.isOpen();
  }

  close(): void {
    this.db.close();
  }

  /** Makes `identity` this device's, replacing any other (a restored backup wins). */
  async adopt(identity: Identity): Promise<void> {
    await this.db.own.put({
      id: 'me',
      secrets: toBase64url(secretsOf(identity)),
      bundle: identity.bundle,
    });
    this.#identity = identity;
    this.#pairs.clear();
  }

  /**
   * A key the server shows for someone (friends list, group members, `keys:changed`). Pins it if it
   * is the first; records a pending change if it differs from the pin (a newer change replaces a
   * waiting one). Null (not published yet) and malformed bundles change nothing.
   */
  async observe(username: string, bundle: string | null): Promise<void> {
    if (bundle === null || usernameKey(username) === usernameKey(this.user)) return;
    if (!this.#parse(bundle)) return;
    const key = usernameKey(username);
    const pin = this.#pins.get(key);
    let next: PinRow;
    if (!pin) {
      next = {
        key,
        username,
        bundle,
        verified: false,
        pending: null,
        wasVerified: false,
        changedAt: null,
      };
    } else if (pin.bundle === bundle || pin.pending === bundle) {
      // The pinned key again does not cancel a change that is waiting: only I decide it (a list
      // read before the change was published still shows the old key).
      return;
    } else {
      next = { ...pin, pending: bundle, wasVerified: pin.verified, changedAt: Date.now() };
    }
    await this.#save(next);
  }

  /** The key in use for someone: the pinned one, whatever the server shows now. */
  keyFor(username: string): PublicIdentity | null {
    const pin = this.#pins.get(usernameKey(username));
    return pin ? this.#parse(pin.bundle) : null;
  }

  /** The key a pending change would bring (only to tell held copies apart). */
  pendingFor(username: string): PublicIdentity | null {
    const pending = this.#pins.get(usernameKey(username))?.pending;
    return pending ? this.#parse(pending) : null;
  }

  trust(username: string): TrustState {
    const pin = this.#pins.get(usernameKey(username));
    if (!pin) return { username, state: 'none', verified: false, wasVerified: false };
    return {
      username: pin.username,
      state: pin.pending ? 'changed' : 'pinned',
      verified: pin.verified,
      wasVerified: pin.wasVerified,
    };
  }

  /** Everyone whose key changed and waits for me. */
  changes(): TrustState[] {
    return [...this.#pins.values()].filter((p) => p.pending).map((p) => this.trust(p.username));
  }

  /** Takes the pending key as theirs; not verified until compared again. */
  async accept(username: string): Promise<boolean> {
    const pin = this.#pins.get(usernameKey(username));
    if (!pin?.pending) return false;
    await this.#save({
      ...pin,
      bundle: pin.pending,
      pending: null,
      verified: false,
      wasVerified: false,
      changedAt: null,
    });
    return true;
  }

  async setVerified(username: string, verified: boolean): Promise<void> {
    const pin = this.#pins.get(usernameKey(username));
    if (!pin || pin.pending) throw new Error(`no settled key for ${username} to verify`);
    await this.#save({ ...pin, verified });
  }

  /**
   * The safety number of me and `username`: with the pinned key, or with the pending one when
   * asked (to compare before accepting). Null when either key is missing.
   */
  safetyNumber(username: string, pending = false): string[] | null {
    const me = this.#identity;
    const theirs = pending ? this.pendingFor(username) : this.keyFor(username);
    if (!me || !theirs) return null;
    return safetyNumber({ username: this.user, key: me }, { username, key: theirs });
  }

  /** The pairwise key with someone's pinned key (or a given key), cached. */
  pairKey(username: string, theirs = this.keyFor(username)): Uint8Array | null {
    const me = this.#identity;
    if (!me || !theirs) return null;
    const cacheKey = theirs.bundle;
    let key = this.#pairs.get(cacheKey);
    if (!key) {
      key = pairKey(me, theirs);
      this.#pairs.set(cacheKey, key);
    }
    return key;
  }

  /** A stored copy that waits for a key change to be decided. */
  async hold(message: OfflineMessage): Promise<void> {
    await this.db.held.put({ from: usernameKey(message.from), id: message.id, message });
  }

  /** The copies held for someone, removed from the store as they are handed back. */
  async release(username: string): Promise<OfflineMessage[]> {
    const from = usernameKey(username);
    const rows = await this.db.held.where('from').equals(from).toArray();
    await this.db.held.where('from').equals(from).delete();
    return rows.map((r) => r.message);
  }

  #parse(bundle: string): PublicIdentity | null {
    let parsed = this.#parsed.get(bundle);
    if (!parsed) {
      parsed = parseBundle(bundle) ?? undefined;
      if (!parsed) return null;
      this.#parsed.set(bundle, parsed);
    }
    return parsed;
  }

  async #save(pin: PinRow): Promise<void> {
    this.#pins.set(pin.key, pin);
    await this.db.pins.put(pin);
    this.changed(this.trust(pin.username));
  }
}
