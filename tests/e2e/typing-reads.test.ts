/**
 * Typing indicators and read receipts (issue 12) in real Chromium, in a zh-CN and an en-US
 * browser: "typing…" under her name in the header while she types and gone when she empties the box;
 * a message the friend has on screen turns "Read"; and with the Account page's setting off, the
 * friend sends none (the setting says you then see none either).
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
    typing: 'typing…',
    read: 'Read',
    delivered: 'Delivered',
    setting: 'Send read receipts',
    hint: /you don't see when they have read yours/,
  },
  {
    locale: 'zh-CN',
    typing: '正在输入…',
    read: '已读',
    delivered: '已送达',
    setting: '发送已读回执',
    hint: /你也看不到他们是否已读你的消息/,
  },
];

const stateText = (p: Person, text: string) => async () =>
  (await p.message(text).getByTestId('message-state').textContent())?.trim();

describe.each(LANGUAGES)('typing and read receipts in $locale', (lang) => {
  it('shows typing, marks read, and the setting turns receipts off', async () => {
    const alice = await h.person(h.unique('alice'), { locale: lang.locale });
    const bob = await h.person(h.unique('bob'), { locale: lang.locale });
    await alice.register();
    await bob.register();
    await befriend(alice, bob);
    await alice.openFriend(bob.name);
    await bob.openFriend(alice.name);

    // Typing: shown under the header while the box has text, gone once it is emptied.
    const box = alice.byTestId('composer-input');
    await box.pressSequentially('hel');
    await expect
      .poll(() => bob.byTestId('typing').textContent(), { timeout: 15_000 })
      .toBe(lang.typing);
    await box.fill('');
    await expect.poll(() => bob.byTestId('typing').count(), { timeout: 10_000 }).toBe(0);

    // Bob has the conversation on screen: Alice's message goes past delivered to read.
    await alice.type('are you there?');
    await alice.expectMessage('are you there?', 'read');
    await expect.poll(stateText(alice, 'are you there?')).toBe(lang.read);
    // The indicator went with the message.
    expect(await bob.byTestId('typing').count()).toBe(0);

    // Bob turns read receipts off; the setting says what it costs him.
    await bob.byTestId('open-account').click();
    const setting = bob.byTestId('read-setting');
    expect(await setting.isChecked()).toBe(true);
    expect(await bob.byTestId('read-settings').textContent()).toContain(lang.setting);
    expect(await bob.byTestId('read-setting-hint').textContent()).toMatch(lang.hint);
    await setting.uncheck();
    await bob.openFriend(alice.name);
    await alice.type('quietly');
    await bob.expectMessage('quietly');
    await alice.expectMessage('quietly', 'delivered');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await alice.message('quietly').getAttribute('data-state')).toBe('delivered');
    expect(await stateText(alice, 'quietly')()).toBe(lang.delivered);
    // Remembered across a reload of the page.
    await bob.reload();
    await bob.signedIn();
    await bob.byTestId('open-account').click();
    expect(await bob.byTestId('read-setting').isChecked()).toBe(false);
  });
});
