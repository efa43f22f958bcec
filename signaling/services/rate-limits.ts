import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { AppError } from '../../shared/errors.ts';
import { errors } from '../error-catalogue.ts';
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
    const points = Math.max(1, limit.points);
    const options = { points, duration: limit.durationSec };
    this.#limiter = store
      ? new RateLimiterRedis({
          ...options,
          storeClient: store.client,
          useRedisPackage: true,
          keyPrefix: `${store.prefix}:rl:${what.replace(/\W+/g, '-')}`,
          // Once a key is spent, refuse it from memory until its window ends: a flood past the
          // limit costs no Redis round trips.
          inMemoryBlockOnConsumed: points + 1,
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

  /** Gives back a point spent in advance on something that turned out fine. */
  async reward(key: string): Promise<void> {
    await this.#limiter.reward(key, 1);
  }

  async reset(key: string): Promise<void> {
    await this.#limiter.delete(key);
  }
}

/**
 * Socket events per user: a fixed window per key, counted synchronously in this process. The flood
 * guard runs on every event: without the promise and timer machinery of a general limiter it costs
 * a Map lookup. Answers as `Limiter` does (RATE_LIMITED with the wait).
 *
 * A window outlives the connection that spent it (a reconnect must not refill the budget), so
 * nothing is forgotten on disconnect. Instead windows live in two generations that rotate every
 * window length: a window not touched for two lengths has certainly ended and is dropped with its
 * generation, and memory stays bounded by the keys active in the last two windows.
 */
export class WindowLimiter {
  #current = new Map<string, { resetAt: number; used: number }>();
  #previous = new Map<string, { resetAt: number; used: number }>();
  #rotateAt = -Infinity;
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
    if (t >= this.#rotateAt) {
      this.#previous = this.#current;
      this.#current = new Map();
      this.#rotateAt = t + this.#durationMs;
    }
    let w = this.#current.get(key);
    if (!w) {
      w = this.#previous.get(key);
      if (w) {
        this.#previous.delete(key);
        this.#current.set(key, w);
      }
    }
    if (!w || t >= w.resetAt) {
      w = { resetAt: t + this.#durationMs, used: 0 };
      this.#current.set(key, w);
    }
    if (w.used >= this.#points) throw tooMany(this.what, Math.ceil(w.resetAt - t));
    w.used++;
  }

  /** Keys with a window (at most those active in the last two windows). */
  get size(): number {
    return this.#current.size + this.#previous.size;
  }
}

/** What the socket dispatcher spends one point of per event. */
export interface EventBudget {
  consume(key: string): void | Promise<void>;
}

/**
 * One budget per user wherever they connect. On one node the counters are this process's; with
 * several nodes a user could reconnect to each in turn, so the counters live in Redis there, at the
 * price of a round trip per event (spent keys are refused from memory, see `Limiter`).
 */
export function eventBudget(config: Config, store?: LimiterStore | null): EventBudget {
  const what = 'requests from this account';
  return store
    ? new Limiter(what, config.rateLimits.eventsPerUser, store)
    : new WindowLimiter(what, config.rateLimits.eventsPerUser);
}

function tooMany(what: string, ms: number): AppError {
  metrics.rateLimited.inc({ limit: limitLabel(what) });
  return errors.tooMany({ what, retryAfterMs: ms });
}

export function authLimiters(config: Config, store?: LimiterStore | null) {
  return {
    loginPerIp: new Limiter(
      'login attempts from this address',
      config.rateLimits.loginPerIp,
      store,
    ),
    loginFailuresPerUserIp: new Limiter(
      'failed logins for this user from this address',
      config.rateLimits.loginFailuresPerUserIp,
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
    // Every socket handshake spends a point. On one node the synchronous window costs a Map lookup
    // where rate-limiter-flexible's memory store costs promises, a result object and a timer per
    // address: in a reconnect storm, that much per reconnect adds up.
    connectsPerIp: store
      ? new Limiter('connection attempts from this address', config.rateLimits.connectsPerIp, store)
      : new WindowLimiter('connection attempts from this address', config.rateLimits.connectsPerIp),
  };
}
