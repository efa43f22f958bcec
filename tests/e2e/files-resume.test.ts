/**
 * Files through a reload, in Chromium (issue 13): the receiver's page reloads mid-transfer and the
 * transfer goes on from the chunks it had stored, not from zero; the sender's page reloads and its
 * card offers to send the file again, which goes on from what the receiver had.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { befriend, startHarness, type Harness, type Person } from '../helpers/browser.ts';
import { cardId, pageHash, pickGenerated, seen, watchAcrossReloads } from '../helpers/files.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const MiB = 1024 * 1024;

/**
 * Counts, in every page of the person's context, the binary bytes written on data channels: the
 * file chunks (control frames and chat go as text). Loaded before the app, so it sees every write.
 */
async function countChunkBytes(person: Person): Promise<void> {
  await person.context.addInitScript(() => {
    const counter = { bytes: 0 };
    (window as unknown as { chunkBytes: typeof counter }).chunkBytes = counter;
    const send = RTCDataChannel.prototype.send;
    RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
      const d = data as string | Blob | ArrayBuffer | ArrayBufferView;
      if (typeof d !== 'string') counter.bytes += d instanceof Blob ? d.size : d.byteLength;
      return send.call(this, data);
    } as RTCDataChannel['send'];
  });
  await person.reload();
  await person.signedIn();
}

const chunkBytes = (person: Person) =>
  person.page.evaluate(() => (window as unknown as { chunkBytes: { bytes: number } }).chunkBytes);

/** Bytes the card of file `id` says are stored/confirmed now (0 when it shows no progress). */
const cardBytes = (person: Person, id: string) =>
  person.page
    .locator(`[data-file="${id}"] [data-testid="file-progress"]`)
    .getAttribute('data-bytes', { timeout: 1_000 })
    .then(Number)
    .catch(() => 0);

/** Waits until the card of file `id` shows at least `min` bytes stored/confirmed. */
const cardReaches = (person: Person, id: string, min: number) =>
  person.page.waitForFunction(
    ([id, min]) =>
      Number(
        document.querySelector<HTMLElement>(`[data-file="${id}"] [data-testid="file-progress"]`)
          ?.dataset.bytes ?? 0,
      ) >= min,
    [id, min] as const,
    { timeout: 60_000, polling: 50 },
  );

describe('files across a reload', () => {
  it('the receiver reloads mid-transfer: it goes on from its stored chunks, hashes equal', async () => {
    const [alice, bob] = await h.people('alice', 'bob');
    await countChunkBytes(alice!);
    await befriend(alice!, bob!);
    await alice!.openFriend(bob!.name);
    await bob!.openFriend(alice!.name);
    await watchAcrossReloads(bob!);

    const size = 40 * MiB;
    const hash = await pickGenerated(alice!, 'resume-me.bin', size, 11);
    const id = (await cardId(alice!, 'resume-me.bin'))!;
    expect(id).toBeTruthy();
    // Part-way: a good share stored at bob's end, far from all of it.
    await cardReaches(bob!, id, 12 * MiB);
    const storedBefore = await cardBytes(bob!, id);
    expect(storedBefore).toBeGreaterThanOrEqual(12 * MiB);
    expect(storedBefore).toBeLessThan(size);

    await bob!.reload();
    await bob!.signedIn();
    await bob!.page.locator(`[data-file="${id}"][data-state="done"]`).waitFor({ timeout: 60_000 });
    await alice!.page
      .locator(`[data-file="${id}"][data-state="done"]`)
      .waitFor({ timeout: 20_000 });

    // The first progress bob's reloaded page showed is what he had stored, not zero.
    const after = (await seen(bob!)).bytes[id] ?? [];
    expect(after.length).toBeGreaterThan(0);
    expect(after[0]).toBeGreaterThanOrEqual(storedBefore);
    // What alice wrote in all: the file once, plus at most what was in flight when bob's page
    // went (a window of 4 MiB, chunk headers). Starting again from zero would add storedBefore.
    const written = (await chunkBytes(alice!)).bytes;
    expect(written).toBeGreaterThanOrEqual(size);
    expect(written).toBeLessThan(size + Math.min(8 * MiB, storedBefore - MiB));
    expect(await pageHash(bob!, id)).toBe(hash);
  }, 240_000);

  it('the sender reloads mid-transfer: interrupted, "Send again" with the same file goes on from what the receiver has', async () => {
    const [alice, bob] = await h.people('alice', 'bob');
    await countChunkBytes(alice!);
    await befriend(alice!, bob!);
    await alice!.openFriend(bob!.name);
    await bob!.openFriend(alice!.name);

    const size = 40 * MiB;
    const hash = await pickGenerated(alice!, 'picked.bin', size, 23);
    const id = (await cardId(alice!, 'picked.bin'))!;
    await cardReaches(bob!, id, 12 * MiB);

    await alice!.reload();
    await alice!.signedIn();
    const card = alice!.page.locator(`[data-file="${id}"]`);
    await card.locator('[data-testid="file-send-again"]').waitFor({ timeout: 20_000 });
    expect(await card.getAttribute('data-state')).toBe('interrupted');
    // Bob's card waits for alice, holding what he has.
    const bobCard = bob!.page.locator(`[data-file="${id}"]`);
    await expect
      .poll(() => bobCard.textContent(), { timeout: 30_000 })
      .toContain(`Waiting for ${alice!.name} to pick the file again`);
    const held = await cardBytes(bob!, id);
    expect(held).toBeGreaterThanOrEqual(12 * MiB);

    // Another file of the same size is refused, with a word why.
    const input = `[data-file="${id}"] [data-testid="file-send-again-input"]`;
    await pickGenerated(alice!, 'picked.bin', size, 24, 'application/octet-stream', input);
    await expect
      .poll(() => card.locator('[data-testid="file-resend-error"]').textContent())
      .toBe('That is not picked.bin: pick the same file again.');
    expect(await card.getAttribute('data-state')).toBe('interrupted');

    await pickGenerated(alice!, 'picked.bin', size, 23, 'application/octet-stream', input);
    await bob!.page.locator(`[data-file="${id}"][data-state="done"]`).waitFor({ timeout: 60_000 });
    await alice!.page
      .locator(`[data-file="${id}"][data-state="done"]`)
      .waitFor({ timeout: 20_000 });
    // Alice's reloaded page wrote only what bob did not have (plus at most a window).
    const written = (await chunkBytes(alice!)).bytes;
    expect(written).toBeGreaterThanOrEqual(size - held);
    expect(written).toBeLessThan(size - held + 8 * MiB);
    expect(await pageHash(bob!, id)).toBe(hash);
  }, 240_000);
});
