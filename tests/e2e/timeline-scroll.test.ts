/**
 * The conversation's timeline follows content that grows after it was laid out: a received
 * image's full picture taking its thumbnail's place makes its card taller. A reader at the bottom
 * stays at the bottom, the newest content in full view; a reader who scrolled up to read stays on
 * what they were reading. (Seen in a screenshot: the receiver's image was cut off at the bottom.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { befriend, startHarness, type Harness, type Person } from '../helpers/browser.ts';
import { cardId, pickGenerated } from '../helpers/files.ts';
import { png } from '../helpers/png.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const scroll = (p: Person) =>
  p.byTestId('message-list').evaluate((el) => ({
    top: el.scrollTop,
    fromBottom: el.scrollHeight - el.scrollTop - el.clientHeight,
  }));

/** Sends a 640x480 PNG (its thumbnail is 160x120) and returns its card's id. */
async function sendImage(from: Person, name: string): Promise<string> {
  await from
    .byTestId('attach-input')
    .setInputFiles({ name, mimeType: 'image/png', buffer: png(640, 480) });
  return cardShown(from, name);
}

/** The id of the card `from` shows for a file they picked, once it shows. */
async function cardShown(from: Person, name: string): Promise<string> {
  await from.page.locator('[data-testid="file-card"]', { hasText: name }).first().waitFor();
  return (await cardId(from, name))!;
}

/**
 * Waits until the card shows the full image, decoded and laid out, and two frames have gone by
 * (what follows a resize has run); returns the image's height on screen.
 */
async function fullImageShown(p: Person, id: string): Promise<number> {
  const image = p.page.locator(`[data-file="${id}"] [data-testid="file-image"]`);
  await image.waitFor({ timeout: 30_000 });
  return image.evaluate(async (el: HTMLImageElement) => {
    await el.decode();
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return el.getBoundingClientRect().height;
  });
}

/** How far the card's bottom edge is below the list's visible bottom edge (0 or less: in view). */
const cardBelowView = (p: Person, id: string) =>
  p.byTestId('message-list').evaluate((list, id) => {
    const card = list.querySelector(`[data-file="${CSS.escape(id)}"]`)!;
    return card.getBoundingClientRect().bottom - list.getBoundingClientRect().bottom;
  }, id);

describe('the timeline when its content grows', () => {
  let alice: Person;
  let bob: Person;

  it('keeps a reader at the bottom there while a received image replaces its thumbnail', async () => {
    [alice, bob] = (await h.people('alice', 'bob')) as [Person, Person];
    await befriend(alice, bob);
    await alice.openFriend(bob.name);
    for (let i = 1; i <= 30; i++) await alice.type(`line ${i}`);
    await bob.openFriend(alice.name);
    await bob.expectMessage('line 30');
    await expect.poll(async () => (await scroll(bob)).fromBottom).toBeLessThan(5);
    expect((await scroll(bob)).top).toBeGreaterThan(200); // long enough to scroll

    const id = await sendImage(alice, 'tall.png');
    // Taller than its thumbnail ever is: the card grew after it was laid out.
    expect(await fullImageShown(bob, id)).toBeGreaterThan(150);
    await expect.poll(async () => (await scroll(bob)).fromBottom).toBeLessThan(5);
    expect(await cardBelowView(bob, id)).toBeLessThanOrEqual(1);

    // And the next message after it, too.
    await alice.type('did you see it?');
    await bob.expectMessage('did you see it?');
    await expect.poll(async () => (await scroll(bob)).fromBottom).toBeLessThan(5);
  });

  it('leaves a reader who scrolled up where they were', async () => {
    const list = bob.byTestId('message-list');
    // Three hundred pixels up from the bottom, once the list has heard of the scroll.
    await list.evaluate(
      (el) =>
        new Promise<void>((resolve) => {
          el.addEventListener('scroll', () => resolve(), { once: true });
          el.scrollTop = el.scrollHeight - el.clientHeight - 300;
        }),
    );
    const before = await scroll(bob);
    expect(before.fromBottom).toBeGreaterThan(250);

    const id = await sendImage(alice, 'second.png');
    expect(await fullImageShown(bob, id)).toBeGreaterThan(150);
    const after = await scroll(bob);
    expect(Math.abs(after.top - before.top)).toBeLessThan(2);
    // The new card is below, out of view, where the reader has not gone yet.
    expect(after.fromBottom).toBeGreaterThan(before.fromBottom + 150);

    await alice.type('still reading?');
    await bob.expectMessage('still reading?');
    expect(Math.abs((await scroll(bob)).top - before.top)).toBeLessThan(2);

    // Back at the bottom, the reader is followed again.
    await list.evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    const third = await sendImage(alice, 'third.png');
    expect(await fullImageShown(bob, third)).toBeGreaterThan(150);
    await expect.poll(async () => (await scroll(bob)).fromBottom).toBeLessThan(5);
  });

  it('keeps a received image as it is while another file moves', async () => {
    // Every progress step of the other file recomputes the timeline; none may take the images
    // back to their thumbnails (their cards shrinking and growing under the reader).
    await bob.byTestId('message-list').evaluate((list) => {
      const w = window as unknown as { imageChanges: number };
      w.imageChanges = 0;
      const isImage = (n: Node) =>
        n instanceof Element &&
        (n.matches('[data-testid="file-image"]') ||
          !!n.querySelector('[data-testid="file-image"]'));
      new MutationObserver((records) => {
        for (const r of records)
          if ([...r.removedNodes].some(isImage) || (r.type === 'attributes' && isImage(r.target)))
            w.imageChanges++;
      }).observe(list, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['src'],
      });
    });
    expect(await bob.page.getByTestId('file-image').count()).toBe(3);

    await pickGenerated(alice, 'big.bin', 8 * 1024 * 1024, 7);
    const id = await cardShown(alice, 'big.bin');
    await bob.page.locator(`[data-file="${id}"] [data-testid="file-progress"]`).waitFor();
    await bob.page.locator(`[data-file="${id}"][data-state="done"]`).waitFor({ timeout: 60_000 });
    expect(
      await bob.page.evaluate(() => (window as unknown as { imageChanges: number }).imageChanges),
    ).toBe(0);
    expect(await bob.page.getByTestId('file-image').count()).toBe(3);
    await expect.poll(async () => (await scroll(bob)).fromBottom).toBeLessThan(5);
  });
});
