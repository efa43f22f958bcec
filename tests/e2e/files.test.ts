/**
 * Files between two Chromium contexts, through the UI (issue 13): a 20 MB file and an image,
 * hashes equal on both sides, progress on both sides, a chat message that overtakes the file, and
 * a cancel from the receiver.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { befriend, startHarness, type Harness, type Person } from '../helpers/browser.ts';
import { png } from '../helpers/png.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** Records, in the page, the largest progress seen per file and when things first appeared. */
async function watch(person: Person): Promise<void> {
  await person.page.evaluate(() => {
    const w = window as unknown as {
      seen: {
        bytes: Record<string, number[]>;
        doneAt: Record<string, number>;
        texts: Record<string, number>;
      };
    };
    w.seen = { bytes: {}, doneAt: {}, texts: {} };
    const look = () => {
      for (const card of document.querySelectorAll<HTMLElement>('[data-testid="file-card"]')) {
        const id = card.dataset.file ?? '';
        const bytes = Number(
          card.querySelector<HTMLElement>('[data-testid="file-progress"]')?.dataset.bytes ?? 0,
        );
        if (bytes > 0) (w.seen.bytes[id] ??= []).push(bytes);
        if (card.dataset.state === 'done') w.seen.doneAt[id] ??= performance.now();
      }
      for (const text of document.querySelectorAll('[data-testid="message-text"]'))
        w.seen.texts[text.textContent ?? ''] ??= performance.now();
    };
    new MutationObserver(look).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
    });
  });
}

const seen = (person: Person) =>
  person.page.evaluate(
    () =>
      (
        window as unknown as {
          seen: {
            bytes: Record<string, number[]>;
            doneAt: Record<string, number>;
            texts: Record<string, number>;
          };
        }
      ).seen,
  );

/** SHA-256 of the file behind a card's Save link, computed in the page from the stored blob. */
const pageHash = (person: Person, id: string) =>
  person.page.evaluate(async (id) => {
    const link = document.querySelector<HTMLAnchorElement>(
      `[data-file="${id}"] [data-testid="file-save"]`,
    );
    const buffer = await (await fetch(link!.href)).arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', buffer));
    return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
  }, id);

const cardId = (person: Person, name: string) =>
  person.page
    .locator('[data-testid="file-card"]', { hasText: name })
    .first()
    .getAttribute('data-file');

describe('files', () => {
  it('sends a 20 MB file and an image; hashes equal, progress on both sides, a message overtakes', async () => {
    const [alice, bob] = await h.people('alice', 'bob');
    await befriend(alice!, bob!);
    await alice!.openFriend(bob!.name);
    await bob!.openFriend(alice!.name);
    await watch(alice!);
    await watch(bob!);

    const big = randomBytes(20 * 1024 * 1024);
    await alice!
      .byTestId('attach-input')
      .setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: big });
    const id = await cardId(alice!, 'big.bin');
    expect(id).toBeTruthy();
    await bob!.page.locator(`[data-file="${id}"]`).waitFor();
    await alice!.type('sent during the file');
    await bob!.message('sent during the file').waitFor();
    await bob!.page.locator(`[data-file="${id}"][data-state="done"]`).waitFor({ timeout: 60_000 });
    await alice!.page
      .locator(`[data-file="${id}"][data-state="done"]`)
      .waitFor({ timeout: 20_000 });

    const [a, b] = [await seen(alice!), await seen(bob!)];
    // Progress showed on both sides part-way (not only 0 and done).
    const partWay = (values: number[] | undefined) =>
      (values ?? []).some((v) => v > 0 && v < big.length);
    expect(partWay(a.bytes[id!])).toBe(true);
    expect(partWay(b.bytes[id!])).toBe(true);
    // The message reached bob before the file was done there.
    expect(b.texts['sent during the file']).toBeLessThan(b.doneAt[id!]!);
    expect(await pageHash(bob!, id!)).toBe(createHash('sha256').update(big).digest('hex'));

    const image = png(640, 480);
    await alice!
      .byTestId('attach-input')
      .setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: image });
    const imageId = await cardId(alice!, 'photo.png');
    await bob!.page
      .locator(`[data-file="${imageId}"] [data-testid="file-image"]`)
      .waitFor({ timeout: 20_000 });
    expect(await pageHash(bob!, imageId!)).toBe(createHash('sha256').update(image).digest('hex'));
    await expect.poll(() => bob!.byTestId('file-quota').textContent()).toMatch(/2 files/);
  });

  it('cancels from the receiver; the sender sees it', async () => {
    const [alice, bob] = await h.people('alice', 'bob');
    await befriend(alice!, bob!);
    await alice!.openFriend(bob!.name);
    await bob!.openFriend(alice!.name);
    // Made in the page: handing 100 MB through the protocol to setInputFiles is too slow here.
    await alice!.page.evaluate(() => {
      const input = document.querySelector<HTMLInputElement>('[data-testid="attach-input"]')!;
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(100 * 1024 * 1024)], 'cancel-me.bin'));
      input.files = transfer.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
    const id = await cardId(alice!, 'cancel-me.bin');
    await bob!.page.locator(`[data-file="${id}"] [data-testid="file-cancel"]`).click();
    await alice!.page
      .locator(`[data-file="${id}"][data-state="cancelled"]`)
      .waitFor({ timeout: 20_000 });
    await bob!.page.locator(`[data-file="${id}"][data-state="cancelled"]`).waitFor();
  });
});
