/**
 * Typing indicators and read receipts (issue 12) in real Chromium, in a zh-CN and an en-US
 * browser: "typing…" under her name in the header while she types and gone when she empties the box;
 * a message the friend has on screen turns "Read"; and with the Account page's setting off, the
 * friend sends none (the setting says you then see none either). In a group, my newest message
 * says how many members have read it ("Read by 2" / "2 人已读"), naming them on hover, and a
 * member with the setting off is not among them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  befriend,
  startGroup,
  startHarness,
  type Harness,
  type Person,
} from '../helpers/browser.ts';

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
    readBy: (n: number) => `Read by ${n}`,
    readByTitle: (names: string[]) => `Seen by ${names.join(', ')}`,
  },
  {
    locale: 'zh-CN',
    typing: '正在输入…',
    read: '已读',
    delivered: '已送达',
    setting: '发送已读回执',
    hint: /你也看不到他们是否已读你的消息/,
    readBy: (n: number) => `${n} 人已读`,
    readByTitle: (names: string[]) => `已读：${names.join('、')}`,
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

  it('in a group, my newest message says who has read it', async () => {
    const [alice, bob, carol] = await Promise.all(
      ['alice', 'bob', 'carol'].map((n) => h.person(h.unique(n), { locale: lang.locale })),
    );
    for (const p of [alice!, bob!, carol!]) await p.register();
    await befriend(alice!, bob!);
    await befriend(alice!, carol!);
    const group = h.unique('crew');
    await startGroup(alice!, [bob!, carol!], group);
    await bob!.openGroup(group);
    await carol!.openGroup(group);

    const readBy = alice!.message('hello crew').getByTestId('message-read-by');
    await alice!.type('hello crew');
    await alice!.expectMessage('hello crew', 'delivered');
    await expect.poll(() => readBy.textContent(), { timeout: 15_000 }).toMatch(lang.readBy(2));
    // Both, in the order their receipts came, named on hover.
    const readers = (await readBy.getAttribute('data-readers'))?.split(' ') ?? [];
    expect([...readers].sort()).toEqual([bob!.name, carol!.name].sort());
    expect(await readBy.getAttribute('title')).toBe(lang.readByTitle(readers));

    // Carol turns receipts off: alice's next message is read by bob alone, and only the newest
    // of hers says so.
    await carol!.byTestId('open-account').click();
    await carol!.byTestId('read-setting').uncheck();
    await carol!.openGroup(group);
    await alice!.type('second');
    await carol!.expectMessage('second');
    const second = alice!.message('second').getByTestId('message-read-by');
    await expect.poll(() => second.textContent(), { timeout: 15_000 }).toMatch(lang.readBy(1));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await second.getAttribute('data-readers')).toBe(bob!.name);
    expect(await second.getAttribute('title')).toBe(lang.readByTitle([bob!.name]));
    expect(await readBy.count()).toBe(0);
    // Bob's screen shows no readers on alice's messages: they are not his.
    expect(await bob!.page.getByTestId('message-read-by').count()).toBe(0);
  });
});
