/**
 * The server's timers: expire old offline messages, and sweep for blocks made by other processes
 * (the safety net behind the block feed). Returns the function that stops them.
 */
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Services } from './services/index.ts';

const EXPIRY_INTERVAL_MS = 3600_000;

export function startHousekeeping(services: Services, config: Config, logger: Logger): () => void {
  const expire = () =>
    void services.offline
      .expire()
      .catch((err: unknown) => logger.error({ err }, 'offline expiry failed'));
  const expiry = setInterval(expire, EXPIRY_INTERVAL_MS);
  const sweep = setInterval(
    () => {
      services.moderation
        .sweepBlocked()
        .catch((err: unknown) => logger.error({ err }, 'block sweep failed'));
    },
    Math.max(100, config.sweepIntervalMs),
  );
  expiry.unref();
  sweep.unref();
  expire();
  return () => {
    clearInterval(expiry);
    clearInterval(sweep);
  };
}
