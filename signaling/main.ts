/**
 * Entrypoint: read the environment, build the app, listen, and shut down cleanly on SIGINT/SIGTERM
 * (sockets closed, the store closed so SQLite checkpoints its WAL).
 */
import { createApp } from './app.ts';
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';

const config = loadConfig();
const logger = createLogger(config.logLevel);

const app = await createApp({ config, logger });
const { url } = await app.listen();
logger.info(
  { url, store: app.store.describe, redis: config.redisUrl !== null },
  `P2SP Chat is listening on ${url}`,
);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  const force = setTimeout(() => {
    logger.error('shutdown took too long; exiting');
    process.exit(1);
  }, 10_000);
  force.unref();
  try {
    await app.close();
    logger.info('stopped');
    process.exit(0);
  } catch (err) {
    logger.error({ err }, 'shutdown failed');
    process.exit(1);
  }
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
