/**
 * Files between two Chromium contexts, through the UI (issue 13): a 20 MB file and an image,
 * hashes equal on both sides, progress on both sides, a chat message that overtakes the file, a
 * cancel from the receiver, an offline group member's reason in a zh-CN browser, the cards in the timeline among the messages after a reload, and a
 * short video that plays inline.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { befriend, startGroup, startHarness, type Harness } from '../helpers/browser.ts';
import { cardId, pageHash, seen, watch } from '../helpers/files.ts';
import { png } from '../helpers/png.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

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

  it('sends a file to a group: one card on the sender with each member, the file on each', async () => {
    const [alice, bob, carol] = await h.people('alice', 'bob', 'carol');
    await befriend(alice!, bob!);
    await befriend(alice!, carol!);
    const group = h.unique('crew');
    await startGroup(alice!, [bob!, carol!], group);
    await bob!.openGroup(group);
    await carol!.openGroup(group);

    const data = randomBytes(3 * 1024 * 1024);
    await alice!
      .byTestId('attach-input')
      .setInputFiles({ name: 'crew.bin', mimeType: 'application/octet-stream', buffer: data });
    const id = await cardId(alice!, 'crew.bin');
    const want = createHash('sha256').update(data).digest('hex');
    for (const p of [bob!, carol!]) {
      await p.page.locator(`[data-file="${id}"][data-state="done"]`).waitFor({ timeout: 60_000 });
      expect(await pageHash(p, id!)).toBe(want);
    }
    // The sender sees one card for the group, each member's copy listed with its state.
    const card = alice!.page.locator(`[data-testid="file-card"][data-file="${id}"]`);
    await expect.poll(() => card.count()).toBe(1);
    const members = card.getByTestId('file-member');
    await expect
      .poll(async () =>
        (
          await members.evaluateAll((els) =>
            els.map(
              (e) => `${(e as HTMLElement).dataset.peer}:${(e as HTMLElement).dataset.state}`,
            ),
          )
        ).sort(),
      )
      .toEqual([`${bob!.name}:done`, `${carol!.name}:done`].sort());
  });

  it('names an offline member on a group file card, in Chinese in a zh-CN browser', async () => {
    const [alice, bob, carol] = await Promise.all(
      ['alice', 'bob', 'carol'].map((n) => h.person(h.unique(n), { locale: 'zh-CN' })),
    );
    for (const p of [alice!, bob!, carol!]) await p.register();
    await befriend(alice!, bob!);
    await befriend(alice!, carol!);
    const group = h.unique('离线');
    await startGroup(alice!, [bob!, carol!], group);
    await bob!.openGroup(group);
    await carol!.page.close();
    await expect
      .poll(() => alice!.friendRow(carol!.name).getByTestId('presence').getAttribute('data-status'))
      .toBe('offline');
    await alice!
      .byTestId('attach-input')
      .setInputFiles({ name: 'plan.txt', mimeType: 'text/plain', buffer: Buffer.from('plan') });
    const id = await cardId(alice!, 'plan.txt');
    const card = alice!.page.locator(`[data-testid="file-card"][data-file="${id}"]`);
    const carolRow = card.locator(`[data-testid="file-member"][data-peer="${carol!.name}"]`);
    // The reason is data in the engine (files/problem.ts), worded here in the page's language.
    await expect
      .poll(() => carolRow.getByTestId('file-member-error').textContent())
      .toBe(`${carol!.name} 当前不在线：文件直接发送，请等对方上线后再发。`);
    await bob!.page.locator(`[data-file="${id}"][data-state="done"]`).waitFor({ timeout: 30_000 });
    await expect.poll(() => card.getByTestId('file-member-error').count()).toBe(1);
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

  it('shows file cards in the timeline in their time order among the messages, after a reload too', async () => {
    const [alice, bob] = await h.people('alice', 'bob');
    await befriend(alice!, bob!);
    await alice!.openFriend(bob!.name);
    await bob!.openFriend(alice!.name);
    await alice!.type('before the picture');
    await bob!.message('before the picture').waitFor();
    const image = png(64, 48);
    await alice!
      .byTestId('attach-input')
      .setInputFiles({ name: 'between.png', mimeType: 'image/png', buffer: image });
    const id = (await cardId(alice!, 'between.png'))!;
    await bob!.page.locator(`[data-file="${id}"][data-state="done"]`).waitFor({ timeout: 20_000 });
    await alice!.page.locator(`[data-file="${id}"][data-state="done"]`).waitFor();
    // A clock tick apart, so the order by time is the order they were sent.
    await new Promise((r) => setTimeout(r, 20));
    await alice!.type('after the picture');
    await bob!.message('after the picture').waitFor();

    /** What the message list shows, top to bottom: message texts and file cards. */
    const order = (person: typeof alice) =>
      person!
        .byTestId('message-list')
        .evaluate((list) =>
          [
            ...list.querySelectorAll<HTMLElement>(
              '[data-testid="message-text"], [data-testid="timeline-file"]',
            ),
          ].map((el) =>
            el.dataset.testid === 'timeline-file' ? `file:${el.dataset.id}` : el.textContent,
          ),
        );
    const expected = ['before the picture', `file:${id}`, 'after the picture'];
    expect(await order(alice)).toEqual(expected);
    expect(await order(bob)).toEqual(expected);

    for (const person of [alice!, bob!]) {
      await person.reload();
      await person.signedIn();
      await person.message('after the picture').waitFor();
      await person.page.locator(`[data-testid="timeline-file"][data-id="${id}"]`).waitFor();
      expect(await order(person)).toEqual(expected);
    }
    // Bob's card, from the history, still opens and saves the picture he received.
    await bob!.page.locator(`[data-file="${id}"] [data-testid="file-image"]`).waitFor();
    expect(await pageHash(bob!, id)).toBe(createHash('sha256').update(image).digest('hex'));
    // Alice's says it was sent; there is nothing stored to open on her side.
    expect(await alice!.page.locator(`[data-file="${id}"]`).getAttribute('data-state')).toBe(
      'done',
    );
    expect(await alice!.page.locator(`[data-file="${id}"]`).getAttribute('data-direction')).toBe(
      'out',
    );
  });

  it('shows a received video inline, playable, and lets its object URL go with the card', async () => {
    const [alice, bob] = await h.people('alice', 'bob');
    await befriend(alice!, bob!);
    await alice!.openFriend(bob!.name);
    await bob!.openFriend(alice!.name);
    // A real WebM, recorded in alice's page from a canvas (MediaRecorder), picked like a file.
    const size = await alice!.page.evaluate(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 48;
      const g = canvas.getContext('2d')!;
      const stream = canvas.captureStream(25);
      const recorder = new MediaRecorder(stream, { mimeType: 'video/webm' });
      const parts: Blob[] = [];
      recorder.ondataavailable = (e) => parts.push(e.data);
      const stopped = new Promise((resolve) => (recorder.onstop = resolve));
      recorder.start();
      for (let frame = 0; frame < 15; frame++) {
        g.fillStyle = `hsl(${frame * 24}, 80%, 50%)`;
        g.fillRect(0, 0, 64, 48);
        await new Promise((r) => setTimeout(r, 40));
      }
      recorder.stop();
      await stopped;
      const file = new File(parts, 'clip.webm', { type: 'video/webm' });
      const input = document.querySelector<HTMLInputElement>('[data-testid="attach-input"]')!;
      const transfer = new DataTransfer();
      transfer.items.add(file);
      input.files = transfer.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
      return file.size;
    });
    expect(size).toBeGreaterThan(0);
    const id = (await cardId(alice!, 'clip.webm'))!;
    const video = bob!.page.locator(`[data-file="${id}"] video[data-testid="file-video"]`);
    await video.waitFor({ timeout: 20_000 });
    expect(await video.getAttribute('controls')).not.toBeNull();
    const src = (await video.getAttribute('src'))!;
    expect(src).toMatch(/^blob:/);
    // The browser reads it as a video: its metadata loads and it has a picture size.
    await bob!.page.waitForFunction(
      (id) => {
        const v = document.querySelector<HTMLVideoElement>(`[data-file="${id}"] video`);
        return v !== null && v.readyState >= 1 && v.videoWidth === 64;
      },
      id,
      { timeout: 10_000 },
    );
    // Removed from this device: the card goes, and so does its object URL.
    await bob!.page.locator(`[data-file="${id}"]`).getByText('Remove from this device').click();
    await bob!.page.locator(`[data-file="${id}"]`).waitFor({ state: 'detached' });
    const fetched = await bob!.page.evaluate(async (src) => {
      try {
        await fetch(src);
        return 'still there';
      } catch {
        return 'revoked';
      }
    }, src);
    expect(fetched).toBe('revoked');
  });
});
