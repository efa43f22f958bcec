/**
 * Kysely's SQLite dialect with a first-come-first-served connection lock.
 *
 * SQLite has one connection, so Kysely's driver serialises queries with a mutex. Kysely's mutex
 * wakes EVERY waiter on each unlock and all but one go back to waiting: with n queries queued,
 * each release costs n wake-ups, n² in all. Under load (thousands of relayed signals a second, each
 * one query) that herd was a fifth of the server's CPU in the relay profile (`lock`/`unlock` and the
 * microtasks they schedule). This lock hands the connection straight to the next waiter in order,
 * one wake-up per release. Kysely's own mutex stays inside and is never contended.
 */
import {
  SqliteDialect,
  type DatabaseConnection,
  type Driver,
  type QueryCompiler,
  type TransactionSettings,
} from 'kysely';

/** A FIFO lock: `acquire` resolves in call order; `release` passes the lock to the next in line. */
export class FifoLock {
  #held = false;
  #queue: (() => void)[] = [];
  #head = 0;

  acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#queue.push(resolve));
  }

  release(): void {
    if (this.#head < this.#queue.length) {
      const next = this.#queue[this.#head] as () => void;
      this.#queue[this.#head++] = noop; // drop the reference now
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      next(); // still held: ownership moves to `next`
    } else {
      this.#held = false;
      this.#queue.length = 0;
      this.#head = 0;
    }
  }

  /** Waiting callers (for tests). */
  get waiting(): number {
    return this.#queue.length - this.#head;
  }
}

const noop = () => {};

class FifoDriver implements Driver {
  readonly #lock = new FifoLock();

  constructor(private readonly inner: Driver) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#lock.acquire();
    try {
      return await this.inner.acquireConnection();
    } catch (err) {
      this.#lock.release();
      throw err;
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      await this.inner.releaseConnection(connection);
    } finally {
      this.#lock.release();
    }
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }

  savepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    return this.inner.savepoint?.(connection, name, compile) ?? unsupported('savepoint');
  }

  rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    return (
      this.inner.rollbackToSavepoint?.(connection, name, compile) ??
      unsupported('rollbackToSavepoint')
    );
  }

  releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    return (
      this.inner.releaseSavepoint?.(connection, name, compile) ?? unsupported('releaseSavepoint')
    );
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

const unsupported = (what: string): Promise<never> =>
  Promise.reject(new Error(`the SQLite driver does not support ${what}`));

export class FifoSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    return new FifoDriver(super.createDriver());
  }
}
