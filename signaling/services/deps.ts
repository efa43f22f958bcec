import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Store } from '../storage/db.ts';
import type { BlockList } from './blocks.ts';
import type { Notifier } from './notifier.ts';
import type { PresenceRegistry } from './presence-registry.ts';
import type { LimiterStore } from './rate-limits.ts';
import type { Relations } from './relations.ts';
import type { Users } from './users.ts';

/** What every service is built from. Tests and the CLI build the same services with their own parts. */
export interface ServiceDeps {
  store: Store;
  config: Config;
  logger: Logger;
  notifier: Notifier;
  presence: PresenceRegistry;
  now: () => number;
  /** Shared rate-limit counters when several nodes run (Redis); null keeps them in memory. */
  limiterStore?: LimiterStore | null;
  /** A running server's list of blocked users (the CLI has none). */
  blocks?: BlockList;
}

/**
 * What each service is built with: the deps, and the lookups every service shares, made once by
 * createServices (so the relay's prepared reach query is compiled once, not once per service).
 */
export interface ServiceContext extends ServiceDeps {
  users: Users;
  relations: Relations;
}
