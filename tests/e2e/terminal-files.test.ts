/**
 * Files between a terminal client and a browser, both ways (issue 13: "the same frames"): the
 * terminal as a process (`--json`, @roamhq/wrtc), Chromium running the built web client, peer to
 * peer; the bytes are the same on both sides (SHA-256).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness, type Person } from '../helpers/browser.ts';
import { startJsonTerminal, type JsonTerminal } from '../helpers/terminal-process.ts';

let h: Harness;
let dir: string;
let term: JsonTerminal | undefined;

beforeAll(async () => {
  h = await startHarness();
  dir = mkdtempSync(join(tmpdir(), 'p2sp-e2e-tfiles-'));
});
afterAll(async () => {
  if (term && term.child.exitCode === null) term.child.kill('SIGKILL');
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** SHA-256 of the file behind a card's Save link, computed in the page from the stored blob. */
const pageHash = (person: Person, name: string) =>
  person.page.evaluate(async (name) => {
    const card = [...document.querySelectorAll('[data-testid="file-card"]')].find((c) =>
      c.textContent?.includes(name),
    );
    const link = card?.querySelector<HTMLAnchorElement>('[data-testid="file-save"]');
    const buffer = await (await fetch(link!.href)).arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', buffer));
    return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
  }, name);

it('a terminal and a browser send each other files, byte for byte', async () => {
  const [web] = await h.people('web');
  term = startJsonTerminal(h.url, join(dir, 'data'));
  expect((await term.run('reg termi termi-password-1', 60_000)).ok).toBe(true);
  expect((await term.run(`add ${web!.name}`)).ok).toBe(true);
  await web!.accept('termi');
  await web!.openFriend('termi');

  // Terminal -> browser.
  const out = randomBytes(5 * 1024 * 1024 + 17);
  const path = join(dir, 'from terminal.bin');
  writeFileSync(path, out);
  expect((await term.run(`sendfile ${web!.name} ${path}`)).ok).toBe(true);
  await web!.page
    .locator('[data-testid="file-card"][data-state="done"]', { hasText: 'from terminal.bin' })
    .waitFor({ timeout: 60_000 });
  expect(await pageHash(web!, 'from terminal.bin')).toBe(sha(out));
  await term.waitFor((l) => l.type === 'file' && l.state === 'done', 20_000, 0);

  // Browser -> terminal, saved to disk.
  const back = randomBytes(3 * 1024 * 1024 + 5);
  await web!.byTestId('attach-input').setInputFiles({
    name: 'from browser.bin',
    mimeType: 'application/octet-stream',
    buffer: back,
  });
  const got = await term.waitFor(
    (l) => l.type === 'file' && l.state === 'done' && l.name === 'from browser.bin',
    60_000,
    0,
  );
  expect(got.text).toBe(
    `received from browser.bin from ${web!.name}: savefile ${String(got.n)} [path] writes it out`,
  );
  const saved = join(dir, 'saved.bin');
  expect((await term.run(`savefile ${String(got.n)} ${saved}`)).ok).toBe(true);
  expect(sha(readFileSync(saved))).toBe(sha(back));
  expect(await term.end()).toBe(0);
}, 240_000);
