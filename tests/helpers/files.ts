/**
 * What the files end-to-end tests (tests/e2e/files*.test.ts) do in a page: watch the cards'
 * progress, pick a file, read the hash of what a card saved, and make a PNG to send.
 */
import type { Person } from './browser.ts';

interface Seen {
  bytes: Record<string, number[]>;
  doneAt: Record<string, number>;
  texts: Record<string, number>;
}

/** Records, in the page, every progress value seen per file and when things first appeared. */
function install(): void {
  const w = window as unknown as { seen?: Seen };
  if (w.seen) return;
  const seen: Seen = { bytes: {}, doneAt: {}, texts: {} };
  w.seen = seen;
  const look = () => {
    for (const card of document.querySelectorAll<HTMLElement>('[data-testid="file-card"]')) {
      const id = card.dataset.file ?? '';
      const bytes = Number(
        card.querySelector<HTMLElement>('[data-testid="file-progress"]')?.dataset.bytes ?? 0,
      );
      if (bytes > 0) (seen.bytes[id] ??= []).push(bytes);
      if (card.dataset.state === 'done') seen.doneAt[id] ??= performance.now();
    }
    for (const text of document.querySelectorAll('[data-testid="message-text"]'))
      seen.texts[text.textContent ?? ''] ??= performance.now();
  };
  // The document itself: an init script runs before there is a body to observe.
  new MutationObserver(look).observe(document, {
    subtree: true,
    childList: true,
    attributes: true,
  });
}

/** Starts recording progress in the person's page now. */
export async function watch(person: Person): Promise<void> {
  await person.page.evaluate(install);
}

/** Records progress in every page the person's context opens from now on (a reload included). */
export async function watchAcrossReloads(person: Person): Promise<void> {
  await person.context.addInitScript(install);
  await watch(person);
}

export const seen = (person: Person): Promise<Seen> =>
  person.page.evaluate(() => (window as unknown as { seen: Seen }).seen);

/** SHA-256 of the file behind a card's Save link, computed in the page from the stored blob. */
export async function pageHash(person: Person, id: string): Promise<string> {
  // The link comes once the card has built its blob from the stored chunks.
  await person.page.locator(`[data-file="${id}"] [data-testid="file-save"]`).waitFor();
  return person.page.evaluate(async (id) => {
    const link = document.querySelector<HTMLAnchorElement>(
      `[data-file="${id}"] [data-testid="file-save"]`,
    );
    const buffer = await (await fetch(link!.href)).arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', buffer));
    return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
  }, id);
}

export const cardId = (person: Person, name: string): Promise<string | null> =>
  person.page
    .locator('[data-testid="file-card"]', { hasText: name })
    .first()
    .getAttribute('data-file');

/**
 * Picks a file of `size` pseudo-random bytes (from `seed`) with the attach input, made in the
 * page: handing tens of MB through the protocol to setInputFiles is too slow here. Returns its
 * SHA-256. The same seed and size make the same file, as a user picking it again would; `input`
 * is another file input to pick it with (a card's "Send again").
 */
export const pickGenerated = (
  person: Person,
  name: string,
  size: number,
  seed: number,
  type = 'application/octet-stream',
  input = '[data-testid="attach-input"]',
): Promise<string> =>
  person.page.evaluate(
    async ({ name, size, seed, type, input: selector }) => {
      const data = new Uint8Array(size);
      let x = seed >>> 0;
      const words = new Uint32Array(data.buffer, 0, Math.floor(size / 4));
      for (let i = 0; i < words.length; i++) {
        x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
        words[i] = x;
      }
      for (let i = words.length * 4; i < size; i++) data[i] = i & 0xff;
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
      const input = document.querySelector<HTMLInputElement>(selector)!;
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], name, { type }));
      input.files = transfer.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
      return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
    },
    { name, size, seed, type, input },
  );
