/**
 * Search of local history in Chromium, in an English and a Chinese browser: a Chinese word found
 * inside a sentence (no spaces), the result opened in its conversation scrolled to and marked, the
 * URL per view (a reload keeps the conversation, the back button returns to the results), and a
 * new tab opening on the last conversation rather than the command console.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { befriend, startHarness, type Harness, type Person } from '../helpers/browser.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

const hash = (p: Person) => p.page.evaluate(() => decodeURIComponent(location.hash));

/** Whether an element is inside the message list's visible area. */
async function inView(p: Person, id: string): Promise<boolean> {
  return p.page.evaluate((messageId) => {
    const list = document.querySelector('[data-testid="message-list"]');
    const row = document.querySelector(`[data-testid="message"][data-id="${messageId}"]`);
    if (!list || !row) return false;
    const a = list.getBoundingClientRect();
    const b = row.getBoundingClientRect();
    return b.top >= a.top && b.bottom <= a.bottom;
  }, id);
}

for (const locale of ['en-US', 'zh-CN'] as const) {
  describe(`search in a ${locale} browser`, () => {
    let alice: Person;
    let bob: Person;
    const sentence = '明天我们去公园散步吧';

    it('finds a Chinese word inside a sentence and opens it in context', async () => {
      alice = await h.person(h.unique('alice'), { locale });
      bob = await h.person(h.unique('bob'), { locale });
      await alice.register();
      await bob.register();
      await befriend(alice, bob);
      await alice.openFriend(bob.name);
      await alice.type(sentence);
      await alice.expectMessage(sentence);
      // Enough after it that the list, scrolled to the newest, no longer shows it.
      for (let i = 0; i < 40; i++) await alice.type(`filler ${i} 其他的话`);
      await alice.expectMessage('filler 39 其他的话');
      const target = await alice.message(sentence).getAttribute('data-id');
      expect(await inView(alice, target!)).toBe(false);

      await alice.byTestId('open-search').click();
      const input = alice.byTestId('search-input');
      expect(await input.getAttribute('placeholder')).toBe(
        locale === 'zh-CN' ? '搜索本浏览器中的消息' : 'Search messages in this browser',
      );
      await input.fill('公园');
      const hit = alice.byTestId('search-hit');
      await expect.poll(() => hit.count()).toBe(1);
      expect(await hit.locator('mark').textContent()).toBe('公园');
      expect(await alice.byTestId('search-count').textContent()).toContain(
        locale === 'zh-CN' ? '1 条消息' : '1 message',
      );
      expect(await hash(alice)).toBe('#/search?q=公园');
      await input.fill('公散');
      await expect
        .poll(() => alice.byTestId('search-none').textContent())
        .toBe(locale === 'zh-CN' ? '没有与“公散”匹配的消息。' : 'No messages match “公散”.');
      await input.fill('公园');
      await hit.click();

      await expect.poll(() => alice.byTestId('conversation-title').textContent()).toBe(bob.name);
      const focused = alice.page.locator('[data-testid="message"][data-focused="true"]');
      await expect.poll(() => focused.getAttribute('data-id')).toBe(target);
      await expect.poll(() => inView(alice, target!)).toBe(true);
      expect(await hash(alice)).toBe(`#/c/private/${bob.name}`);
    });

    it('keeps the conversation across a reload, and back returns to the results', async () => {
      await alice.reload();
      await alice.signedIn();
      await expect.poll(() => alice.byTestId('conversation-title').textContent()).toBe(bob.name);
      await alice.expectMessage('filler 39 其他的话');

      await alice.page.goBack();
      await expect.poll(() => hash(alice)).toBe('#/search?q=公园');
      await expect.poll(() => alice.byTestId('search-input').inputValue()).toBe('公园');
      await expect.poll(() => alice.byTestId('search-hit').count()).toBe(1);
      await alice.page.goBack();
      await expect.poll(() => hash(alice)).toBe(`#/c/private/${bob.name}`);
      await expect.poll(() => alice.byTestId('conversation-title').textContent()).toBe(bob.name);
      await alice.page.goForward();
      await expect.poll(() => alice.byTestId('search-hit').count()).toBe(1);
    });

    it('opens a new tab on the last conversation, not the command console', async () => {
      await alice.page.goto(h.url);
      await alice.signedIn();
      await expect.poll(() => alice.byTestId('conversation-title').textContent()).toBe(bob.name);
      expect(await alice.byTestId('console').count()).toBe(0);
      expect(await hash(alice)).toBe(`#/c/private/${bob.name}`);
    });

    it('treats a hash that names nothing as no route', async () => {
      await alice.page.goto(`${h.url}#/c/group/not-a-number`);
      await alice.signedIn();
      // Not a route: the app lands where it would without one.
      await expect.poll(() => alice.byTestId('conversation-title').textContent()).toBe(bob.name);
    });
  });
}
