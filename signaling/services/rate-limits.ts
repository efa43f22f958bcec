import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { AppError } from '../../shared/errors.ts';
import type { Config } from '../config.ts';
import { limitLabel, metrics } from '../metrics.ts';

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

/**
 * Events per connection: a fixed window per socket, counted synchronously in this process. A socket
 * lives on one node, so there is nothing to share, and the flood guard runs on every event: without
 * the promise and timer machinery of a general limiter it costs a Map lookup. Answers as `Limiter`
 * does (RATE_LIMITED with the wait); `forget` when the socket goes.
 */
export class WindowLimiter {
  readonly #windows = new Map<string, { resetAt: number; used: number }>();
  readonly #points: number;
  readonly #durationMs: number;

  constructor(
    private readonly what: string,
    limit: Limit,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#points = Math.max(1, limit.points);
    this.#durationMs = limit.durationSec * 1000;
  }

  consume(key: string): void {
    const t = this.now();
    let w = this.#windows.get(key);
    if (!w || t >= w.resetAt) {
      w = { resetAt: t + this.#durationMs, used: 0 };
      this.#windows.set(key, w);
    }
    if (w.used >= this.#points) throw tooMany(this.what, Math.ceil(w.resetAt - t));
    w.used++;
  }

  forget(key: string): void {
    this.#windows.delete(key);
  }

  /** Keys with a window (for tests: nothing is left behind after a disconnect). */
  get size(): number {
    return this.#windows.size;
  }
}

function tooMany(what: string, ms: number): AppError {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  metrics.rateLimited.inc({ limit: limitLabel(what) });
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
