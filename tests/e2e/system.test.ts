/**
 * Administrators' messages in their own place (issue 12): to one user or broadcast, each lands in
 * the System conversation, listed first in the sidebar, named 系统消息 / "System messages",
 * read-only with the composer saying why; one to a group lands in that group's conversation, for
 * every member (online, or offline and stored), the group still answerable. Each is marked
 * [系统消息] / "[System message]" with the admin's name and whom it was for. Not a private chat with
 * the admin, and the admin's own broadcast is not a chat with themselves. Run in a zh-CN and an
 * en-US browser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inviteToGroup, startHarness, type Harness, type Person } from '../helpers/browser.ts';
import { m } from '../../web/src/paraglide/messages.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const LOCALES = [
  {
    locale: 'zh-CN',
    title: '系统消息',
    mark: (admin: string) => `[系统消息] · ${admin}`,
    closed: '系统消息来自管理员，无法在这里回复。',
    toMe: '发给你',
    toGroup: (name: string) => `发给群组 ${name}`,
    toAll: '广播给所有人',
    sent: '已发送。',
    groupOption: (name: string, creator: string) => `${name}（创建者 ${creator}）`,
  },
  {
    locale: 'en-US',
    title: 'System messages',
    mark: (admin: string) => `[System message] · ${admin}`,
    closed: 'System messages come from the administrators and cannot be answered here.',
    toMe: 'to you',
    toGroup: (name: string) => `to the group ${name}`,
    toAll: 'broadcast to everyone',
    sent: 'Sent.',
    groupOption: (name: string, creator: string) => `${name} (by ${creator})`,
  },
];

/** The system message with this text, in the open conversation. */
const systemMessage = (p: Person, text: string) =>
  p.page.locator('[data-testid="message"][data-system="true"]').filter({ hasText: text });

/** The test id of the first conversation row in the sidebar. */
const firstRow = (p: Person) =>
  p.page
    .locator(
      'aside :is([data-testid="system-conversation"], [data-testid^="conversation-"], [data-testid^="friend-"])',
    )
    .first();

describe.each(LOCALES)('system messages in a $locale browser', (words) => {
  let root: Person;
  let ann: Person;
  let fay: Person;
  let group: string;

  it('an admin writes to a user, to a group and to everyone', async () => {
    root = await h.person(h.unique('root'), { locale: words.locale });
    ann = await h.person(h.unique('ann'), { locale: words.locale });
    await root.register();
    await ann.register();
    // Ann has a friend and a group, so the System row has something to be listed above. Fay is in
    // the group too, and offline when the admin writes to it.
    fay = await h.person(h.unique('fay'), { locale: words.locale });
    await fay.register();
    await ann.addFriend(fay.name);
    await fay.accept(ann.name);
    group = h.unique('club');
    await ann.page.locator('#new-group-input').fill(group);
    await ann.page.locator('#new-group-input').press('Enter');
    await expect.poll(() => ann.byTestId('conversation-title').textContent()).toBe(group);
    if (!(await ann.byTestId('group-panel').isVisible()))
      await ann.byTestId('toggle-members').click();
    await inviteToGroup(ann, fay, group);
    await ann.openFriend(fay.name);
    await fay.page.close();

    await h.server.app.services.auth.setAdmin(root.name, true);
    await root.byTestId('sign-out').click();
    await root.login();
    await root.byTestId('open-admin').click();
    const send = async (text: string) => {
      await root.byTestId('admin-send-text').fill(text);
      await root.byTestId('admin-send').click();
      await expect.poll(() => root.byTestId('admin-send-result').textContent()).toBe(words.sent);
    };
    // The radio itself is drawn by its label, which is what a person clicks.
    const target = (value: string) =>
      root.page
        .locator('label')
        .filter({ has: root.byTestId(`admin-target-${value}`) })
        .click();
    await root.byTestId('admin-send-user').fill(ann.name);
    await send('only for ann');
    await target('group');
    await root
      .byTestId('admin-send-group')
      .selectOption({ label: words.groupOption(group, ann.name) });
    await send('for the club');
    await target('broadcast');
    await send('for everyone');
    // The admin log says what was done in the page's language, not the server's action codes.
    const o = { locale: words.locale === 'zh-CN' ? 'zh-CN' : 'en' } as const;
    await expect
      .poll(() => root.byTestId('admin-log-action').allTextContents())
      .toEqual(
        expect.arrayContaining([
          m.admin_logAction_adminsend({}, o),
          m.admin_logAction_adminsendgroup({}, o),
          m.admin_logAction_broadcast({}, o),
        ]),
      );
    const entry = root
      .byTestId('admin-log-entry')
      .filter({ has: root.page.locator('[data-action="adminsend"]') })
      .filter({ hasText: ann.name });
    expect(await entry.textContent()).toContain(
      `${m.admin_logAction_adminsend({}, o)} ${ann.name}`,
    );
  });

  it('the recipient reads them in System, listed first, read-only, each marked', async () => {
    const row = ann.byTestId('system-conversation');
    await expect.poll(() => row.getAttribute('data-unread')).toBe('2');
    expect(await firstRow(ann).getAttribute('data-testid')).toBe('system-conversation');
    expect(await row.textContent()).toContain(words.title);
    // Not a private chat with the admin.
    expect(await ann.byTestId(`conversation-${root.name}`).count()).toBe(0);

    await row.click();
    await expect.poll(() => ann.byTestId('conversation-title').textContent()).toBe(words.title);
    expect(await ann.byTestId('composer-reason').textContent()).toContain(words.closed);
    // Only / commands run here: a message cannot be sent, by the button or by Enter.
    await ann.byTestId('composer-input').fill('a reply');
    expect(await ann.byTestId('composer-send').isDisabled()).toBe(true);
    await ann.byTestId('composer-input').press('Enter');
    for (const [text, audience] of [
      ['only for ann', words.toMe],
      ['for everyone', words.toAll],
    ] as const) {
      const message = systemMessage(ann, text);
      await message.waitFor();
      expect(await message.textContent()).toContain(words.mark(root.name));
      expect(await message.getByTestId('system-audience').textContent()).toBe(audience);
    }
    await expect.poll(() => row.getAttribute('data-unread')).toBe('0');
    // The group's message is not here: it is in the group.
    expect(await ann.page.getByTestId('message').count()).toBe(2);
    expect(ann.page.url()).toMatch(/#\/c\/system$/);

    // The URL names the System conversation: a reload opens it again.
    await ann.reload();
    await ann.signedIn();
    await expect.poll(() => ann.byTestId('conversation-title').textContent()).toBe(words.title);
    await systemMessage(ann, 'for everyone').waitFor();
  });

  it('one to a group shows in the group, for a member online and one offline then', async () => {
    // Ann had System open: the group's row counts it (once; System's count was asserted above).
    await expect.poll(() => ann.groupRow(group).getAttribute('data-unread')).toBe('1');
    // Fay was offline: the server stored it for her, and her new tab picks it up.
    await fay.reopen();
    await fay.signedIn();
    for (const member of [ann, fay]) {
      await member.openGroup(group);
      const message = systemMessage(member, 'for the club');
      await message.waitFor();
      expect(await message.textContent()).toContain(words.mark(root.name));
      expect(await message.getByTestId('system-audience').textContent()).toBe(words.toGroup(group));
      // Still the group's conversation: its members answer there.
      expect(await member.byTestId('composer-reason').count()).toBe(0);
    }
    await fay.type('noted');
    await ann.expectMessage('noted');
  });

  it('the admin’s own broadcast is not a chat with themselves', async () => {
    await root.byTestId('system-conversation').click();
    const mine = systemMessage(root, 'for everyone');
    await mine.waitFor();
    expect(await mine.getByTestId('system-audience').textContent()).toBe(words.toAll);
    expect(await root.byTestId(`conversation-${root.name}`).count()).toBe(0);
    expect(await root.byTestId(`friend-${root.name}`).count()).toBe(0);
    // Only the broadcast: what went to ann and to her group is not in the admin's System.
    expect(await root.page.locator('[data-testid="message"][data-system="true"]').count()).toBe(1);
  });
});
