/**
 * End-to-end encryption as the views see it: what I know of each contact's key (mirrored from the
 * engine's 'trust' events), the refused connections still to be shown, and the actions on keys.
 *
 * A connection refused while someone's key change waits for my decision is most likely their new
 * device signing with the new key, which the engine cannot tell from an impostor yet. It is kept
 * apart (`duringChange`) and told inside the key-change banner instead of as a second, red alarm;
 * accepting the key drops it, and if the change is withdrawn instead it becomes a plain report.
 */
import { SvelteMap } from 'svelte/reactivity';
import { usernameKey } from '../../../shared/names.ts';
import type { ChatEngine, SessionState, TrustState } from '../core/api.ts';
import type { ImpostorReason } from '../core/notices.ts';

export interface RefusedConnection {
  username: string;
  /** Why, as a code worded where it is shown (`impostorReason` in format.ts). */
  reason: ImpostorReason;
  at: number;
  /** Arrived while their key change waited for me (see the module comment). */
  duringChange: boolean;
}

export class Security {
  readonly #trust = new SvelteMap<string, TrustState>();
  readonly #refused = new SvelteMap<string, RefusedConnection>();

  constructor(
    private readonly engine: ChatEngine,
    /** The session, read so lookups are redone once the keyring has opened (before 'ready'). */
    private readonly session: () => SessionState,
  ) {}

  /** What I know of `username`'s key; reactive through the engine's 'trust' events. */
  trust(username: string): TrustState {
    void this.session();
    return this.#trust.get(usernameKey(username)) ?? this.engine.trust(username);
  }

  /** The safety number with `username`: with their changed key while a change waits (`pending`). */
  safetyNumber(username: string, pending: boolean): string[] | null {
    // Keys change only with a trust event; reading the trust makes this follow them.
    void this.trust(username);
    return this.engine.safetyNumber(username, { pending });
  }

  /** The last refused connection from `username` not yet dismissed, if any. */
  refused(username: string): RefusedConnection | undefined {
    return this.#refused.get(usernameKey(username));
  }

  /** The engine said `trust` changed; returns the state it replaced. */
  trustChanged(trust: TrustState): TrustState | undefined {
    const key = usernameKey(trust.username);
    const before = this.#trust.get(key);
    this.#trust.set(key, trust);
    const refused = this.#refused.get(key);
    if (trust.state !== 'changed' && refused?.duringChange) {
      this.#refused.set(key, { ...refused, duringChange: false });
    }
    return before;
  }

  impostor(username: string, reason: ImpostorReason): void {
    this.#refused.set(usernameKey(username), {
      username,
      reason,
      at: Date.now(),
      duringChange: this.trust(username).state === 'changed',
    });
  }

  dismissRefused(username: string): void {
    this.#refused.delete(usernameKey(username));
  }

  async acceptKey(username: string): Promise<void> {
    const key = usernameKey(username);
    const refused = this.#refused.get(key);
    // Dropped first: the engine's trust event arrives before acceptKey resolves.
    if (refused?.duringChange) this.#refused.delete(key);
    try {
      await this.engine.acceptKey(username);
    } catch (e) {
      if (refused?.duringChange && !this.#refused.has(key)) this.#refused.set(key, refused);
      throw e;
    }
  }

  setVerified(username: string, verified: boolean): Promise<void> {
    return this.engine.setVerified(username, verified);
  }

  clear(): void {
    this.#trust.clear();
    this.#refused.clear();
  }
}
