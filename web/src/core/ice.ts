/**
 * Keeps the peers' ICE configuration current. TURN credentials from the server expire (the TURN
 * REST API scheme); a session can outlive them, so halfway through their life the engine asks for a
 * fresh set with `session:ice`. A reconnect brings a fresh set in `session:ready` anyway.
 */
import type { IceConfig } from '../../../shared/events.ts';
import type { Peers } from './peers.ts';
import type { Session } from './session.ts';

/** Never ask more often than this. */
const MIN_REFRESH_MS = 1_000;
/** After a failed request, or for credentials that arrived already expired (a misconfiguration). */
const RETRY_MS = 30_000;
/** setTimeout's ceiling (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class IceKeeper {
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly session: Session,
    private readonly peers: Peers,
  ) {}

  apply(config: IceConfig): void {
    this.peers.setIce(config.iceServers, config.iceTransportPolicy);
    this.stop();
    if (config.iceTtlMs === null) return;
    this.#schedule(config.iceTtlMs > 0 ? config.iceTtlMs / 2 : RETRY_MS);
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.session.request('session:ice', {}).then(
          (config) => this.apply(config),
          // Not connected or no answer: try again; a reconnect's session:ready also reschedules.
          () => {
            if (this.#timer === null && this.session.state.phase !== 'signed-out')
              this.#schedule(RETRY_MS);
          },
        );
      },
      Math.min(MAX_TIMER_MS, Math.max(MIN_REFRESH_MS, ms)),
    );
  }
}
