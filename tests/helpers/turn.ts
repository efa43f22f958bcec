/**
 * Debian's coturn (`/usr/bin/turnserver`) on loopback for tests: a free port, the TURN REST API's
 * shared secret (`use-auth-secret`), a temp directory for its log, pid file and database, and a
 * stop that waits for the process to exit. `.ci/run` installs coturn; a missing turnserver fails
 * the test rather than skipping it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited } from './process.ts';

export const TURNSERVER = process.env.TEST_TURNSERVER ?? '/usr/bin/turnserver';

export interface TestTurn {
  port: number;
  secret: string;
  /** `turn:127.0.0.1:<port>?transport=udp` */
  url: string;
  log(): string;
  stop(): Promise<void>;
}

/** A UDP port nobody holds right now (coturn listens on it for UDP and TCP). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const { port } = socket.address();
  await new Promise<void>((r) => socket.close(() => r()));
  return port;
}

/** A STUN Binding request (RFC 5389): resolves once the server answers one. */
function stunAnswers(port: number, timeoutMs: number): Promise<boolean> {
  const socket = createSocket('udp4');
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0); // Binding request, no attributes
  request.writeUInt32BE(0x2112a442, 4); // magic cookie
  randomBytes(12).copy(request, 8);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('message', (msg) => {
      if (
        msg.length >= 20 &&
        msg.readUInt16BE(0) === 0x0101 &&
        msg.subarray(8, 20).equals(request.subarray(8, 20))
      )
        done(true);
    });
    socket.on('error', () => done(false));
    socket.send(request, port, '127.0.0.1');
  });
}

export async function startTurn(): Promise<TestTurn> {
  if (!existsSync(TURNSERVER))
    throw new Error(`${TURNSERVER} is missing: apt-get install coturn (.ci/run does)`);
  const dir = mkdtempSync(join(tmpdir(), 'p2sp-turn-'));
  const port = await freeUdpPort();
  const secret = randomBytes(16).toString('hex');
  const logFile = join(dir, 'turn.log');
  const child = spawn(
    TURNSERVER,
    [
      '-n', // no configuration file: everything is on this line
      `--listening-port=${port}`,
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=p2sp.test',
      '--allow-loopback-peers',
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      `--log-file=${logFile}`,
      '--simple-log',
      '--no-stdout-log',
      `--pidfile=${join(dir, 'turn.pid')}`,
      `--userdb=${join(dir, 'turndb')}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return stderr;
    }
  };
  const stop = async () => {
    const done = exited(child);
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await done;
    clearTimeout(killer);
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    if (await stunAnswers(port, 100))
      return { port, secret, url: `turn:127.0.0.1:${port}?transport=udp`, log, stop };
  }
  const output = log();
  await stop();
  throw new Error(`turnserver did not start on port ${port}:\n${output.slice(-2_000)}`);
}
