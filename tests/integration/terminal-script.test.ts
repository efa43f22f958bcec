/**
 * The terminal client's scripted mode (`--script FILE`, stdin, `--json`) as a real process: what
 * it prints, where it stops, and the exit code that says what failed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { post, startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startServer('sqlite');
  dir = mkdtempSync(join(tmpdir(), 'p2sp-script-'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function chat(
  args: string[],
  stdin = '',
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'terminal/main.ts', '--data-dir', join(dir, 'data'), ...args],
      { stdio: ['pipe', 'pipe', 'pipe'], env },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
    child.stdin.end(stdin);
  });
}

function script(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const results = (out: string) =>
  out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; command?: string; ok?: boolean; lines?: string[] })
    .filter((r) => r.type === 'result');

it('refuses bad options, an unreadable script and an unreachable server with their own codes', async () => {
  expect((await chat(['--bogus'])).code).toBe(2);
  expect((await chat(['--lang', 'fr', '--server', server.url])).code).toBe(2);
  expect((await chat(['--server', 'ftp://example.com'])).code).toBe(2);
  expect((await chat(['--server', server.url, '--script', join(dir, 'missing.txt')])).code).toBe(2);
  // Port 9 (discard) on loopback: nothing listens.
  const down = await chat(['--server', 'http://127.0.0.1:9', '--script', '-'], 'friends\n');
  expect(down.code).toBe(3);
  expect(down.err).toContain('cannot reach the server at http://127.0.0.1:9');
}, 60_000);

it('says what is wrong with the options, and --help, in the language chosen', async () => {
  const zhEnv = { ...process.env, LANG: 'zh_CN.UTF-8' };
  const enEnv = { ...process.env, LANG: 'C' };
  const unknown = await chat(['--lang', 'zh', '--bogus'], '', enEnv);
  expect(unknown.code).toBe(2);
  expect(unknown.err).toMatch(/^未知选项 --bogus\n用法：/);
  // No valid --lang: the environment decides, for that problem too.
  const badLang = await chat(['--lang', 'fr', '--server', server.url], '', zhEnv);
  expect(badLang.code).toBe(2);
  expect(badLang.err).toMatch(/^--lang 必须是 zh 或 en\n用法：/);
  const badServer = await chat(['--server', 'ftp://example.com'], '', zhEnv);
  expect(badServer.err).toBe(
    '--server 必须是 http:// 或 https:// 开头的网址，收到的是 ftp://example.com\n',
  );
  const help = await chat(['--help'], '', zhEnv);
  expect(help.code).toBe(0);
  expect(help.out).toMatch(/^用法：npm run chat -- /);
  expect(help.out).toContain('退出码：');
  const helpEn = await chat(['--help', '--lang=en'], '', zhEnv);
  expect(helpEn.out).toMatch(/^usage: npm run chat -- /);
  expect((await chat(['--server'], '', enEnv)).err).toMatch(/^--server needs a value\n/);
}, 60_000);

it('runs a script, prompts read the next line, and the first failure stops it with 1', async () => {
  const file = script('reg.txt', [
    'reg scripty',
    'pw-script-123',
    'pw-script-123',
    'friends',
    'add nobody-here',
    'friends',
  ]);
  const run = await chat(['--server', server.url, '--script', file, '--json']);
  expect(run.code).toBe(1);
  const r = results(run.out);
  expect(r.map((x) => [x.command, x.ok])).toEqual([
    ['reg', true],
    ['friends', true],
    ['add', false],
  ]);
  expect(r[0]?.lines).toEqual(['registered and signed in as scripty']);
  // The passwords were answers to prompts, never echoed as output.
  expect(run.out).not.toContain('pw-script-123');

  // --keep-going runs the rest, and the exit code still says something failed; stdin works too.
  const again = await chat(
    ['--server', server.url, '--keep-going', '--json'],
    'login scripty pw-script-123\nadd nobody-here\nfriends\n',
  );
  expect(again.code).toBe(1);
  expect(results(again.out).map((x) => [x.command, x.ok])).toEqual([
    ['login', true],
    ['add', false],
    ['friends', true],
  ]);

  const fine = await chat(['--server', server.url], 'login scripty pw-script-123\nfriends\nquit\n');
  expect(fine.code).toBe(0);
  expect(fine.out).toContain('signed in as scripty\nno friends yet');
}, 120_000);

it('registers nothing when the two passwords differ, and refuses commands before sign-in', async () => {
  const run = await chat(
    ['--server', server.url, '--lang', 'zh', '--keep-going'],
    'friends\nreg mismatch\npassword-one\npassword-two\n',
  );
  expect(run.code).toBe(1);
  expect(run.out).toContain('请先登录：reg <用户名> 或 login <用户名>');
  expect(run.out).toContain('两次输入的密码不一致，未注册');
  const login = await post(server.url, '/api/auth/login', {
    username: 'mismatch',
    password: 'password-one',
  });
  expect(login.body.ok).toBe(false);
}, 60_000);
