import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { AppError } from '../../shared/errors.ts';
import type { Config } from '../config.ts';

type Limit = { points: number; durationSec: number };

/**
 * Where counters live: this process's memory on a single node; Redis when there are several, so a
 * guesser cannot multiply their attempts by the number of nodes.
 */
export interface LimiterStore {
  /** A connected node-redis client. */
  client: unknown;
  prefix: string;
}

/** A named limiter that throws RATE_LIMITED with the wait in ms when spent. */
export class Limiter {
  readonly #limiter: RateLimiterAbstract;
  constructor(
    private readonly what: string,
    limit: Limit,
    store?: LimiterStore | null,
  ) {
    const options = { points: Math.max(1, limit.points), duration: limit.durationSec };
    this.#limiter = store
      ? new RateLimiterRedis({
          ...options,
          storeClient: store.client,
          useRedisPackage: true,
          keyPrefix: `${store.prefix}:rl:${what.replace(/\W+/g, '-')}`,
        })
      : new RateLimiterMemory(options);
  }

  async consume(key: string): Promise<void> {
    try {
      await this.#limiter.consume(key);
    } catch (res) {
      if (res instanceof RateLimiterRes) throw tooMany(this.what, res.msBeforeNext);
      throw res;
    }
  }

  /** Throws if the key is spent, without spending a point. */
  async check(key: string): Promise<void> {
    const res = await this.#limiter.get(key);
    if (res && res.remainingPoints <= 0) throw tooMany(this.what, res.msBeforeNext);
  }

  async reset(key: string): Promise<void> {
    await this.#limiter.delete(key);
  }
}

function tooMany(what: string, ms: number): AppError {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return new AppError('RATE_LIMITED', `too many ${what}; try again in ${seconds} s`, {
    retryAfterMs: ms,
  });
}

export function authLimiters(config: Config, store?: LimiterStore | null) {
  return {
    loginPerIp: new Limiter(
      'login attempts from this address',
      config.rateLimits.loginPerIp,
      store,
    ),
    loginFailuresPerUser: new Limiter(
      'failed logins for this user',
      config.rateLimits.loginFailuresPerUser,
      store,
    ),
    registerPerIp: new Limiter(
      'registrations from this address',
      config.rateLimits.registerPerIp,
      store,
    ),
  };
}
