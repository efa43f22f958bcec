/**
 * The terminal client (`terminal/main.ts`) as a child process with `--json`, driven a line at a
 * time: the test writes a command, then waits for the JSON objects it prints (results and events).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { sleep } from './server.ts';

export interface JsonLine {
  type: string;
  text?: string;
  command?: string;
  ok?: boolean;
  lines?: string[];
  [key: string]: unknown;
}

export interface JsonTerminal {
  child: ChildProcess;
  /** Everything printed so far, parsed. */
  seen: JsonLine[];
  line(text: string): void;
  /** The first line printed from now on (or since `from`) that matches. */
  waitFor(match: (l: JsonLine) => boolean, timeoutMs?: number, from?: number): Promise<JsonLine>;
  /** Writes a command and resolves with its result line. */
  run(text: string, timeoutMs?: number): Promise<JsonLine>;
  /** Ends stdin and resolves with the exit code (or `signal SIGSEGV` when a signal ended it). */
  end(): Promise<number | string | null>;
  /** The exit code, once the process has ended. */
  exit: Promise<number | string | null>;
}

export function startJsonTerminal(
  server: string,
  dataDir: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): JsonTerminal {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'terminal/main.ts',
      '--server',
      server,
      '--data-dir',
      dataDir,
      '--json',
      '--keep-going',
      ...extra,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  const seen: JsonLine[] = [];
  let partial = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.trim() !== '') seen.push(JSON.parse(l) as JsonLine);
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // A signal instead of a code says which one, so a crash at exit reads as one in a failure.
  const exit = new Promise<number | string | null>((r) =>
    child.once('exit', (code, signal) => r(code ?? (signal === null ? null : `signal ${signal}`))),
  );
  const term: JsonTerminal = {
    child,
    seen,
    line(text) {
      child.stdin!.write(text + '\n');
    },
    async waitFor(match, timeoutMs = 30_000, from = seen.length) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const hit = seen.slice(from).find(match);
        if (hit) return hit;
        if (Date.now() > end || child.exitCode !== null)
          throw new Error(
            `timed out waiting for a line\n--- seen ---\n${seen.map((l) => JSON.stringify(l)).join('\n')}\n--- stderr ---\n${stderr}`,
          );
        await sleep(50);
      }
    },
    run(text, timeoutMs) {
      const from = seen.length;
      term.line(text);
      return term.waitFor((l) => l.type === 'result', timeoutMs, from);
    },
    end() {
      child.stdin!.end();
      return exit;
    },
    exit,
  };
  return term;
}
