/**
 * Files between two terminal clients (real processes, `--json`, real WebRTC through @roamhq/wrtc)
 * against the real server: both ways and to a group, the bytes the same (SHA-256), saved to disk
 * streamed; cancel; and the refusals (no such file, a directory, too large, offline, an existing
 * target). Then the in-place progress line in a real terminal (tmux).
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  mkdirSync,
  mkdtempSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.ts';
import {
  startJsonTerminal,
  type JsonLine,
  type JsonTerminal,
} from '../helpers/terminal-process.ts';
import { Tmux } from '../helpers/tmux.ts';

let server: TestServer;
let dir: string;
const running: JsonTerminal[] = [];

beforeEach(async () => {
  server = await startServer('sqlite');
  dir = mkdtempSync(join(tmpdir(), 'p2sp-tfiles-'));
});
afterEach(async () => {
  for (const t of running.splice(0)) if (t.child.exitCode === null) t.child.kill('SIGKILL');
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function sha(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

function terminal(name: string, extra: string[] = []): JsonTerminal {
  const t = startJsonTerminal(server.url, join(dir, `data-${name}`), extra);
  running.push(t);
  return t;
}

async function ok(t: JsonTerminal, command: string, timeoutMs?: number): Promise<string[]> {
  const r = await t.run(command, timeoutMs);
  expect(r, command).toMatchObject({ ok: true });
  return r.lines ?? [];
}

async function refused(t: JsonTerminal, command: string): Promise<string> {
  const r = await t.run(command);
  expect(r, command).toMatchObject({ ok: false });
  return (r.lines ?? []).join('\n');
}

const fileEvent = (state: string, name: string) => (l: JsonLine) =>
  l.type === 'file' && l.state === state && l.name === name;

it('sends files both ways and to a group, byte for byte, and refuses what cannot go', async () => {
  const alice = terminal('alice');
  const bob = terminal('bob', ['--lang', 'zh']);
  await ok(alice, 'reg alice alice-password-1', 60_000);
  await ok(bob, 'reg bob bob-password-1', 60_000);
  await ok(alice, 'add bob');
  await bob.waitFor((l) => l.type === 'friend-request', 30_000, 0);
  await ok(bob, 'accept alice');

  // alice -> bob: a file with a space in its path, given without quotes.
  const a2b = join(dir, 'from alice', 'report v2.bin');
  mkdirSync(join(dir, 'from alice'));
  writeFileSync(a2b, randomBytes(3 * 1024 * 1024 + 123));
  const sent = await ok(alice, `sendfile bob ${a2b}`);
  expect(sent[0]).toMatch(/^sending report v2\.bin \(3\.0 MiB\) to bob: transfer 1 /);
  // The first line about it is the announcement; it is taken at once, as the web client does.
  const incoming = await bob.waitFor(
    (l) => l.type === 'file' && l.name === 'report v2.bin',
    30_000,
    0,
  );
  expect(incoming.text).toMatch(/^alice 正在给你发送 report v2\.bin（3\.0 MiB）：传输 1$/);
  const received = await bob.waitFor(fileEvent('done', 'report v2.bin'), 60_000, 0);
  expect(received.text).toBe('已收到 alice 发来的 report v2.bin：用 savefile 1 [路径] 保存');
  expect((await alice.waitFor(fileEvent('done', 'report v2.bin'), 30_000, 0)).text).toBe(
    'sent report v2.bin to bob',
  );
  const saved = join(dir, 'bob got it.bin');
  expect(await ok(bob, `savefile 1 "${saved}"`)).toEqual([
    `已把 report v2.bin（3.0 MiB）保存到 ${saved}`,
  ]);
  expect(await sha(saved)).toBe(await sha(a2b));
  // Never over an existing file.
  expect(await refused(bob, `savefile 1 "${saved}"`)).toBe(`${saved} 已存在；请换一个路径`);

  // bob -> alice, saved by the transfer's id into a folder (the file keeps its name).
  const b2a = join(dir, '照片.png');
  writeFileSync(b2a, randomBytes(200_001));
  const back = await ok(bob, `sendfile alice ${b2a}`);
  expect(back[0]).toMatch(/^正在把 照片\.png（195 KiB）发给 alice：传输 2（cancelfile 2 可取消）$/);
  const got = await alice.waitFor(fileEvent('done', '照片.png'), 60_000, 0);
  const into = join(dir, 'alice-downloads');
  mkdirSync(into);
  await ok(alice, `savefile ${String(got.id)} ${into}`);
  expect(await sha(join(into, '照片.png'))).toBe(await sha(b2a));
  const listed = await ok(alice, 'files');
  expect(listed).toEqual([
    '1. ↑ report v2.bin (3.0 MiB) to bob: done',
    '2. ↓ 照片.png (195 KiB) from bob: done',
  ]);

  // A group of two: the file goes to each online member.
  await ok(alice, 'newgroup team');
  await ok(alice, 'addgroupuser team bob');
  await bob.waitFor((l) => l.type === 'invitation', 30_000, 0);
  await ok(bob, 'acceptgroup team');
  const g = join(dir, 'notes.txt');
  writeFileSync(g, 'group notes\n'.repeat(5000));
  expect((await ok(alice, `sendgroupfile 1 ${g}`))[0]).toMatch(
    /^sending notes\.txt .* to bob: transfer 3 /,
  );
  await bob.waitFor(fileEvent('done', 'notes.txt'), 60_000, 0);
  await ok(bob, `savefile 3 ${join(dir, 'notes-bob.txt')}`);
  expect(await sha(join(dir, 'notes-bob.txt'))).toBe(await sha(g));

  // A name that would reorder the line (a right-to-left override) prints defused, and saves so.
  const sly = join(dir, 'invoice\u202Efdp.exe');
  writeFileSync(sly, 'not a pdf');
  await ok(alice, `sendfile bob ${sly}`);
  const slyDone = await bob.waitFor(
    (l) => l.type === 'file' && l.state === 'done' && String(l.name).startsWith('invoice'),
    30_000,
    0,
  );
  expect(slyDone.name).toBe('invoice_fdp.exe');
  expect(slyDone.text).not.toMatch(/[\u202a-\u202e]/u);

  // Cancel from the sender while it moves; the receiver hears of it and keeps nothing.
  const big = join(dir, 'big.bin');
  writeFileSync(big, '');
  truncateSync(big, 512 * 1024 * 1024);
  const start = await ok(alice, `sendfile bob ${big}`);
  const n = /transfer (\d+)/.exec(start[0] ?? '')?.[1];
  await bob.waitFor((l) => l.type === 'file' && l.name === 'big.bin', 30_000, 0);
  expect(await ok(alice, `cancelfile ${n}`)).toEqual([`cancelled transfer ${n} (big.bin)`]);
  expect((await bob.waitFor(fileEvent('cancelled', 'big.bin'), 30_000, 0)).text).toBe(
    '来自 alice 的 big.bin 已取消',
  );
  expect(await refused(alice, `cancelfile ${n}`)).toBe(
    `transfer ${n} (big.bin) is not going (cancelled); nothing to cancel`,
  );
  expect(await refused(bob, `savefile ${n} ${join(dir, 'nope.bin')}`)).toBe(
    `传输 ${n}（big.bin）尚未完整收到：已取消`,
  );

  // Refusals, in both languages.
  expect(await refused(alice, `sendfile bob ${join(dir, 'missing.bin')}`)).toBe(
    `no such file: ${join(dir, 'missing.bin')}`,
  );
  expect(await refused(alice, `sendfile bob ${into}`)).toBe(
    `${into} is a directory; send the files in it one at a time`,
  );
  const huge = join(dir, 'huge.iso');
  writeFileSync(huge, '');
  truncateSync(huge, 3 * 1024 ** 3); // sparse: no disk used
  expect(await refused(bob, `sendfile alice ${huge}`)).toBe(
    'huge.iso（3.0 GiB）太大，无法发送：文件上限为 2.0 GiB',
  );
  expect(await refused(alice, 'sendfile bob')).toBe('usage: sendfile <username> <path>');
  expect(await refused(alice, 'savefile 99')).toBe('no transfer 99; type "files" to list them');
  expect(await refused(alice, `savefile 1 ${join(dir, 'x')}`)).toBe(
    'transfer 1 (report v2.bin) is one you sent, not one you received',
  );
  expect((await ok(alice, 'help sendfile'))[0]).toMatch(/^sendfile <username> <path> — /);
  expect(await ok(bob, 'help')).toContain(
    'files — 列出文件传输及编号（供 savefile 和 cancelfile 使用）。',
  );

  // bob leaves: files go directly, so there is nobody to send to.
  expect(await bob.end()).toBe(1); // the refusals above made his exit code 1
  await alice.waitFor((l) => l.type === 'presence' && l.status === 'offline', 20_000, 0);
  expect(await refused(alice, `sendfile bob ${g}`)).toBe('files go directly: bob is offline');
  expect(await alice.end()).toBe(1);
}, 300_000);

it('a script that ends right after sendfile waits for the file before signing out', async () => {
  const alice = terminal('alice');
  const bob = terminal('bob');
  await ok(alice, 'reg alice alice-password-1', 60_000);
  await ok(bob, 'reg bob bob-password-1', 60_000);
  await ok(alice, 'add bob');
  await bob.waitFor((l) => l.type === 'friend-request', 30_000, 0);
  await ok(bob, 'accept alice');
  const file = join(dir, 'last.bin');
  writeFileSync(file, randomBytes(48 * 1024 * 1024));
  await ok(alice, `sendfile bob ${file}`);
  // End of input at once: the process must not leave before the transfer ends.
  const exit = alice.end();
  await bob.waitFor(fileEvent('done', 'last.bin'), 60_000, 0);
  expect(await exit).toBe(0);
  await ok(bob, `savefile 1 ${join(dir, 'got.bin')}`);
  expect(await sha(join(dir, 'got.bin'))).toBe(await sha(file));
  // Non-terminal output gets sparse progress lines, not one per update.
  const progress = bob.seen.filter((l) => l.type === 'file-progress');
  expect(progress.length).toBeGreaterThan(0);
  expect(progress.length).toBeLessThanOrEqual(3);

  // Ctrl-C while a script waits for its files: it leaves at once, signed out, with its code.
  const again = terminal('alice');
  await ok(again, 'login alice alice-password-1', 60_000);
  const big = join(dir, 'big.bin');
  writeFileSync(big, '');
  truncateSync(big, 1024 ** 3);
  await ok(again, `sendfile bob ${big}`);
  // The offer is on its way once the channel opens; bob knowing of the file is the case here (a
  // file whose offer never left has nothing to tell him).
  await bob.waitFor(fileEvent('moving', 'big.bin'), 30_000, 0);
  const from = again.seen.length;
  const exited = again.end();
  await again.waitFor(
    (l) => l.type === 'notice' && l.text === 'waiting for 1 file transfer to finish',
    10_000,
    from,
  );
  again.child.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(again.seen.some((l) => l.type === 'file' && l.state === 'done')).toBe(false);
  // Leaving stopped the file, and bob heard so at once (his script then ends without waiting).
  expect(again.seen.some((l) => l.type === 'file' && l.state === 'cancelled')).toBe(true);
  await bob.waitFor(fileEvent('cancelled', 'big.bin'), 20_000, 0);
  expect(await bob.end()).toBe(0);
}, 180_000);

it('a receiver that leaves mid-file picks it up where its disk says when it comes back', async () => {
  const alice = terminal('alice');
  let bob = terminal('bob');
  await ok(alice, 'reg alice alice-password-1', 60_000);
  await ok(bob, 'reg bob bob-password-1', 60_000);
  await ok(alice, 'add bob');
  await bob.waitFor((l) => l.type === 'friend-request', 30_000, 0);
  await ok(bob, 'accept alice');
  const file = join(dir, 'long.bin');
  writeFileSync(file, randomBytes(96 * 1024 * 1024));
  await ok(alice, `sendfile bob ${file}`);
  const quarter = await bob.waitFor((l) => l.type === 'file-progress', 60_000, 0);
  // Ctrl-C: bob signs out and leaves with the file part way; its record stays on disk.
  bob.child.kill('SIGINT');
  expect(await bob.exit).toBe(0);
  expect(bob.seen.some((l) => l.type === 'file' && l.state === 'done')).toBe(false);
  await alice.waitFor((l) => l.type === 'presence' && l.status === 'offline', 20_000, 0);
  expect((await ok(alice, 'files'))[0]).toMatch(
    /^1\. ↑ long\.bin \(96 MiB\) to bob: ↑ long\.bin → bob \d+% \(waiting for the connection\)$/,
  );

  // Back (a fresh sign-in, as after a restart): bob asks alice to go on from what his disk holds.
  bob = terminal('bob');
  await ok(bob, 'login bob bob-password-1', 60_000);
  const done = await bob.waitFor(fileEvent('done', 'long.bin'), 120_000, 0);
  expect(done.text).toBe('received long.bin from alice: savefile 1 [path] writes it out');
  // It went on from where it was: no progress line the second time is below the first one.
  const progress = bob.seen.filter((l) => l.type === 'file-progress').map((l) => Number(l.bytes));
  expect(Number(quarter.bytes)).toBeGreaterThan(0);
  expect(progress.every((b) => b >= Number(quarter.bytes))).toBe(true);
  await ok(bob, `savefile 1 ${join(dir, 'long-copy.bin')}`);
  expect(await sha(join(dir, 'long-copy.bin'))).toBe(await sha(file));
  await alice.waitFor(fileEvent('done', 'long.bin'), 30_000, 0);
  expect(await bob.end()).toBe(0);
  expect(await alice.end()).toBe(0);
}, 240_000);

it('shows one progress line that updates in place in a real terminal', async () => {
  const tmux = new Tmux();
  try {
    const alice = tmux.start('alice', server.url);
    const bob = tmux.start('bob', server.url);
    await alice.waitFor('Type "help"');
    alice.line('reg alice alice-password-1');
    await bob.waitFor('Type "help"');
    bob.line('reg bob bob-password-1');
    await alice.waitFor('registered and signed in as alice', 60_000);
    await bob.waitFor('registered and signed in as bob', 60_000);
    alice.line('add bob');
    await bob.waitFor('friend request from alice');
    bob.line('accept alice');
    await bob.waitFor('you and alice are now friends');

    const big = join(dir, 'movie.bin');
    writeFileSync(big, '');
    truncateSync(big, 300 * 1024 * 1024);
    alice.line(`sendfile bob ${big}`);
    await alice.waitFor('sending movie.bin (300 MiB) to bob');
    const first = await alice.waitFor(/↑ movie\.bin → bob (\d+)% .*\/s .* left > $/m, 30_000);
    const firstPercent = Number(/↑ movie\.bin → bob (\d+)%/.exec(first)?.[1]);
    await bob.waitFor(/↓ movie\.bin ← alice \d+%/, 30_000);
    // Later the same line shows more, and there is still only one such line on the screen.
    const later = await alice.waitFor(
      new RegExp(`↑ movie\\.bin → bob (?!${firstPercent}%)\\d+%`),
      60_000,
    );
    expect(later.match(/↑ movie\.bin/g)).toHaveLength(1);
    await alice.waitFor('sent movie.bin to bob', 120_000);
    await bob.waitFor('received movie.bin from alice: savefile 1 [path] writes it out', 30_000);
    // Done: the prompt is plain again.
    await alice.waitFor(/^> $/m);
    bob.line(`savefile 1 ${join(dir, 'movie-copy.bin')}`);
    await bob.waitFor('saved movie.bin (300 MiB) to', 60_000);
    expect(await sha(join(dir, 'movie-copy.bin'))).toBe(await sha(big));
  } finally {
    tmux.close();
  }
}, 300_000);
