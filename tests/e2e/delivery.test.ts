/**
 * Delivery states that are true (issue 12), in a zh-CN and an en-US browser: the conversation
 * header says Direct for an online friend before the first message and Offline once they leave
 * (never "Stored for later"); a message for an offline friend says stored, and turns delivered
 * when they sign in and pick it up, told by the server's receipt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { befriend, startHarness, type Harness, type Person } from '../helpers/browser.ts';
import { wireErrorText } from '../../web/src/core/error-text.ts';
import { m } from '../../web/src/paraglide/messages.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

const LANGUAGES = [
  {
    locale: 'en-US',
    lang: 'en',
    direct: 'Direct (P2P)',
    offline: 'Offline',
    waiting: 'Waiting for the server',
    stored: 'Stored for later',
    delivered: 'Delivered',
  },
  {
    locale: 'zh-CN',
    lang: 'zh-CN',
    direct: '直连 (P2P)',
    offline: '离线',
    waiting: '等待服务器',
    stored: '待对方上线接收',
    delivered: '已送达',
  },
] as const;

const header = (p: Person) => p.byTestId('link-state');
const stateText = (p: Person, text: string) => () =>
  p.message(text).getByTestId('message-state').textContent();

describe.each(LANGUAGES)('delivery states in $locale', (lang) => {
  it('header from presence before the first message; stored becomes delivered on pickup', async () => {
    const alice = await h.person(h.unique('alice'), { locale: lang.locale });
    const bob = await h.person(h.unique('bob'), { locale: lang.locale });
    await alice.register();
    await bob.register();
    await befriend(alice, bob);

    // Online, nothing sent yet: direct, not "stored for later".
    await alice.openFriend(bob.name);
    await expect.poll(() => header(alice).getAttribute('data-link')).toBe('direct');
    expect((await header(alice).textContent())?.trim()).toBe(lang.direct);

    await bob.page.close();
    await expect
      .poll(() => header(alice).getAttribute('data-link'), { timeout: 15_000 })
      .toBe('offline');
    expect((await header(alice).textContent())?.trim()).toBe(lang.offline);

    await alice.type('picked up later');
    await alice.expectMessage('picked up later', 'stored');
    expect((await stateText(alice, 'picked up later')())?.trim()).toBe(lang.stored);

    // Bob comes back: he pulls it, the server tells Alice.
    await bob.reopen();
    await bob.signedIn();
    await alice.expectMessage('picked up later', 'delivered');
    await expect
      .poll(async () => (await stateText(alice, 'picked up later')())?.trim())
      .toBe(lang.delivered);
    await expect
      .poll(() => header(alice).getAttribute('data-link'), { timeout: 15_000 })
      .toBe('direct');
  });
  it('with the server out of reach and no channel open, the header waits for it', async () => {
    const alice = await h.person(h.unique('alice'), { locale: lang.locale });
    const bob = await h.person(h.unique('bob'), { locale: lang.locale });
    await alice.register();
    await bob.register();
    await befriend(alice, bob);
    await alice.openFriend(bob.name);
    await expect.poll(() => header(alice).getAttribute('data-link')).toBe('direct');

    // Bob's presence is unknown now, and nothing can reach the store: not "Offline".
    await alice.context.setOffline(true);
    try {
      await alice.byTestId('reconnecting').waitFor({ timeout: 30_000 });
      await expect.poll(() => header(alice).getAttribute('data-link')).toBe('waiting');
      expect((await header(alice).textContent())?.trim()).toBe(lang.waiting);
    } finally {
      await alice.context.setOffline(false);
    }
    await alice.byTestId('reconnecting').waitFor({ state: 'detached', timeout: 30_000 });
    await expect.poll(() => header(alice).getAttribute('data-link')).toBe('direct');
  });

  it('a message to someone who is not a friend fails for that, not for a missing key', async () => {
    const alice = await h.person(h.unique('alice'), { locale: lang.locale });
    const carol = await h.person(h.unique('carol'), { locale: lang.locale });
    await alice.register();
    await carol.register();
    // Carol exists and has a key; nobody by the second name does. Neither is Alice's friend,
    // and that is what stops the message in both cases (as the server would say).
    for (const to of [carol.name, h.unique('nobody')]) {
      await alice.type(`/send ${to} hello ${to}`);
      await expect.poll(() => alice.byTestId('conversation-title').textContent()).toBe(to);
      await alice.expectMessage(`hello ${to}`, 'failed');
      const reason = wireErrorText(
        { code: 'NOT_FRIENDS', details: { username: to } },
        lang.lang === 'zh-CN' ? 'zh' : 'en',
      );
      expect((await stateText(alice, `hello ${to}`)())?.trim()).toBe(
        m.message_failedBecause({ error: reason }, { locale: lang.lang }),
      );
      await alice.byTestId('open-console').click();
    }
  });
});
