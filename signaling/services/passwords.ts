/**
 * Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane). @node-rs/argon2 runs the
 * hash on the libuv thread pool, so a burst of logins does not block the event loop, but four pool
 * threads hashing at once on a two-core machine still starve it of CPU. Hashes therefore pass a
 * gate: at most `cores - 1` run at once (the event loop keeps a core), a bounded number wait, and
 * past that a login or registration is refused as RATE_LIMITED ("server busy") at once instead of
 * queueing for seconds.
 */
import { availableParallelism } from 'node:os';
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { errors } from '../error-catalogue.ts';

// Algorithm is an ambient const enum, which verbatimModuleSyntax cannot read at run time.
const ARGON2ID = 2 as Algorithm.Argon2id;

const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** A counting semaphore with a bounded FIFO queue, for CPU-heavy work off the event loop. */
export class HashGate {
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  /** Moving average of one job's duration, to tell a refused caller how long to wait. */
  #avgMs = 20;

  constructor(
    readonly slots: number,
    readonly queueMax: number,
  ) {}

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#running >= this.slots) {
      if (this.#waiting.length >= this.queueMax) {
        const ms = Math.ceil(((this.#waiting.length + this.#running) * this.#avgMs) / this.slots);
        throw errors.serverBusy({ retryAfterMs: ms });
      }
      // The slot is handed over by release(), so #running already counts this job when it wakes.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    const t0 = performance.now();
    try {
      return await job();
    } finally {
      this.#avgMs = this.#avgMs * 0.8 + (performance.now() - t0) * 0.2;
      this.#release();
    }
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#running--;
  }
}

/** One slot per core but one, and about a second of work (at ~20 ms a hash) waiting per slot. */
const slots = Math.max(1, availableParallelism() - 1);
export const passwordGate = new HashGate(slots, slots * 48);

export function hashPassword(password: string): Promise<string> {
  return passwordGate.run(() => hash(password, OPTIONS));
}

/** False for a wrong password or a malformed hash; throws RATE_LIMITED when the gate is full. */
export function verifyPassword(hashed: string, password: string): Promise<boolean> {
  return passwordGate.run(async () => {
    try {
      return await verify(hashed, password);
    } catch {
      return false;
    }
  });
}

/**
 * A real hash of a password nobody has, verified when the username does not exist, so a wrong
 * username costs as long as a wrong password and timing does not reveal which names are taken.
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword('decoy password that never matches').catch((err: unknown) => {
    // Refused while the gate was full: try again next time rather than remember the failure.
    decoy = undefined;
    throw err;
  });
  return decoy;
}
