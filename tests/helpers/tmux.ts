/**
 * The terminal client in a real pseudo-terminal: a private tmux server per test file, one window
 * per client, keys typed with `send-keys` and the screen read back with `capture-pane`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './server.ts';

export interface TmuxTerminal {
  name: string;
  /** Types text (literally) and presses Enter. */
  line(text: string): void;
  /** Types text literally, without Enter. */
  type(text: string): void;
  /** Named keys: 'Enter', 'Tab', 'C-c', 'Up'. */
  keys(...keys: string[]): void;
  screen(): string;
  /** Waits until the screen matches. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** Whether the client's process has ended (its pane is dead). */
  exited(): boolean;
  /**
   * The exit status, `signal N` when tmux says a signal ended it, or null when tmux recorded
   * neither (tmux 3.3 leaves both empty for some exits, seen after a clean exit 0).
   */
  exitCode(): number | string | null;
}

export class Tmux {
  readonly socket = `p2sp-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'p2sp-terminal-'));
  private started = false;

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Starts `npm run chat`'s entry point in a new 120x40 window. */
  start(name: string, serverUrl: string, extra: string[] = []): TmuxTerminal {
    const command = [
      process.execPath,
      '--import',
      'tsx',
      'terminal/main.ts',
      '--server',
      serverUrl,
      '--data-dir',
      this.dataDir,
      ...extra,
    ]
      .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    const env = ['-e', 'LANG=C.UTF-8', '-e', 'LC_ALL=C.UTF-8'];
    if (!this.started) {
      // remain-on-exit in the same call, so a client that exits at once still leaves its screen.
      this.tmux(
        'new-session',
        '-d',
        '-s',
        'main',
        '-x',
        '120',
        '-y',
        '40',
        ...env,
        '-n',
        name,
        command,
        ';',
        'set-option',
        '-g',
        'remain-on-exit',
        'on',
      );
      this.started = true;
    } else {
      this.tmux('new-window', '-d', '-t', 'main', ...env, '-n', name, command);
    }
    const target = `main:${name}`;
    const tmux = (...args: string[]) => this.tmux(...args);
    const term: TmuxTerminal = {
      name,
      line(text) {
        tmux('send-keys', '-t', target, '-l', text);
        tmux('send-keys', '-t', target, 'Enter');
      },
      type(text) {
        tmux('send-keys', '-t', target, '-l', text);
      },
      keys(...keys) {
        tmux('send-keys', '-t', target, ...keys);
      },
      screen: () => tmux('capture-pane', '-p', '-J', '-S', '-400', '-t', target),
      async waitFor(pattern, timeoutMs = 20_000) {
        // Every look is a process (tmux capture-pane): a few a second, not a busy loop.
        const end = Date.now() + timeoutMs;
        for (;;) {
          const last = term.screen();
          if (typeof pattern === 'string' ? last.includes(pattern) : pattern.test(last))
            return last;
          if (Date.now() > end) {
            throw new Error(
              `timed out waiting for ${name}'s screen to show ${String(pattern)}\n--- screen ---\n${last}`,
            );
          }
          await sleep(200);
        }
      },
      exited: () => tmux('display-message', '-p', '-t', target, '#{pane_dead}').trim() === '1',
      exitCode() {
        const read = (format: string) => tmux('display-message', '-p', '-t', target, format).trim();
        const status = read('#{pane_dead_status}');
        if (status !== '') return Number(status);
        // A process a signal ended has no status: say which signal, so a crash reads as one.
        const signal = read('#{pane_dead_signal}');
        return signal === '' ? null : `signal ${signal}`;
      },
    };
    return term;
  }

  /** Kills this test's tmux server (only ours: it has its own socket) and its data directory. */
  close(): void {
    try {
      if (this.started) this.tmux('kill-server');
    } catch {
      // Already gone: every window ended.
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
