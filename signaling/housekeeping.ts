/**
 * The server's timers: expire old offline messages and forget old sign-ins (what the server keeps
 * about people, no longer than needed), and sweep for blocks made by other processes (the safety
 * net behind the block feed).
 */
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Services } from './services/index.ts';
import type { Store } from './storage/db.ts';

const HOURLY_MS = 3600_000;

export interface Housekeeping {
  /**
   * The hourly pass, also run at start: expire offline messages, then checkpoint SQLite's WAL so
   * the deleted rows' old page images leave the -wal file, then prune the login log. Each step's
   * failure is logged and does not stop the others. Tests call it rather than wait for the timer.
   */
  hourly(): Promise<void>;
  stop(): void;
}

export function startHousekeeping(
  services: Services,
  store: Store,
  config: Config,
  logger: Logger,
): Housekeeping {
  const step = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (err) {
      logger.error({ err }, `${what} failed`);
    }
  };
  const hourly = async () => {
    await step('offline expiry', () => services.offline.expire());
    // After the expiry, and so also after the acks of the hour before it: secure_delete has zeroed
    // those rows in their pages, and this writes the zeroed pages over the file and empties the log.
    await step('WAL checkpoint', async () => {
      if (!(await store.checkpoint())) logger.warn('WAL checkpoint could not finish (a reader)');
    });
    await step('login log pruning', () => services.auth.pruneLoginLog());
  };
  const timer = setInterval(() => void hourly(), HOURLY_MS);
  const sweep = setInterval(
    () => {
      services.moderation
        .sweepBlocked()
        .catch((err: unknown) => logger.error({ err }, 'block sweep failed'));
    },
    Math.max(100, config.sweepIntervalMs),
  );
  timer.unref();
  sweep.unref();
  void hourly();
  return {
    hourly,
    stop() {
      clearInterval(timer);
      clearInterval(sweep);
    },
  };
}
