/**
 * Delivery states that are true (issue 12), in a zh-CN and an en-US browser: the conversation
 * header says Direct for an online friend before the first message and Offline once they leave
 * (never "Stored for later"); a message for an offline friend says stored, and turns delivered
 * when they sign in and pick it up, told by the server's receipt.
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

const LANGUAGES = [
  {
    locale: 'en-US',
    direct: 'Direct (P2P)',
    offline: 'Offline',
    stored: 'Stored for later',
    delivered: 'Delivered',
  },
  {
    locale: 'zh-CN',
    direct: '直连 (P2P)',
    offline: '离线',
    stored: '待对方上线接收',
    delivered: '已送达',
  },
];

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
});
