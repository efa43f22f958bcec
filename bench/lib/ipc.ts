/**
 * Parent <-> child request/response over Node's IPC channel. Servers under test and load generators
 * each run in their own process; the orchestrator drives them with `call()`, which always has a
 * deadline, and every child exits when its parent goes away.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface Request {
  id: number;
  cmd: string;
  args: unknown;
}
type Response =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each handler narrows its own args
export type Handlers = Record<string, (args: any) => unknown>;

/** In a child: answer the parent's calls; exit when the parent disconnects. */
export function serve(handlers: Handlers): void {
  if (!process.send) throw new Error('bench child started without an IPC channel');
  process.on('disconnect', () => process.exit(0));
  process.on('message', (raw) => {
    const req = raw as Request;
    const handler = handlers[req.cmd];
    void (async () => {
      let res: Response;
      try {
        if (!handler) throw new Error(`unknown command ${req.cmd}`);
        res = { id: req.id, ok: true, result: (await handler(req.args)) ?? null };
      } catch (err) {
        res = {
          id: req.id,
          ok: false,
          error: err instanceof Error ? err.stack || err.message : String(err),
        };
      }
      process.send?.(res);
    })();
  });
  process.send({ id: 0, ok: true, result: 'ready' } satisfies Response);
}

const live = new Set<ChildProcess>();

function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

export class Child {
  readonly #proc: ChildProcess;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  #next = 1;
  #exited = false;
  readonly ready: Promise<void>;

  private constructor(
    readonly name: string,
    module: string,
    execArgv: string[],
  ) {
    this.#proc = fork(fileURLToPath(new URL(module, import.meta.url)), [], {
      execArgv: ['--import', 'tsx', '--expose-gc', ...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    live.add(this.#proc);
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start in 30 s`)), 30_000);
      this.#pending.set(0, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject,
      });
    });
    this.#proc.on('message', (raw) => {
      const res = raw as Response;
      const p = this.#pending.get(res.id);
      if (!p) return;
      this.#pending.delete(res.id);
      if (res.ok) p.resolve(res.result);
      else p.reject(new Error(`${name}: ${res.error}`));
    });
    this.#proc.on('exit', (code, signal) => {
      this.#exited = true;
      live.delete(this.#proc);
      for (const p of this.#pending.values())
        p.reject(new Error(`${name} exited (code ${code}, signal ${signal})`));
      this.#pending.clear();
    });
  }

  /** Starts `module` (a path relative to bench/lib/) and waits for it to answer. */
  static async start(name: string, module: string, execArgv: string[] = []): Promise<Child> {
    const child = new Child(name, module, execArgv);
    await child.ready;
    return child;
  }

  get pid(): number | undefined {
    return this.#proc.pid;
  }

  call<T = unknown>(cmd: string, args: unknown = {}, timeoutMs = 60_000): Promise<T> {
    if (this.#exited) return Promise.reject(new Error(`${this.name} has exited`));
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name}: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#proc.send({ id, cmd, args } satisfies Request);
    });
  }

  /** Ends the process (by its pid) and waits for it to go. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    const gone = new Promise<void>((r) => this.#proc.once('exit', () => r()));
    this.#proc.kill('SIGTERM');
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }
}
