/**
 * A failed message can be retried or deleted (issue 12), in a zh-CN and an en-US browser. Bob is
 * away and his mailbox refuses (the server answers "full", a final answer), so two of Alice's
 * messages fail. Once it has room, Retry sends one again with the same id: stored, then delivered
 * when Bob picks it up, once. Delete (with its inline confirm, by keyboard) removes the other from
 * Alice's history for good, a reload included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors } from '../../signaling/error-catalogue.ts';
import { befriend, startHarness, type Harness } from '../helpers/browser.ts';

let h: Harness;
/** Whom the server's offline store refuses, as a full mailbox would. */
const refused = new Set<string>();

beforeAll(async () => {
  h = await startHarness();
  const offline = h.server.app.services.offline;
  const store = offline.store.bind(offline);
  offline.store = async (...args: Parameters<typeof store>) => {
    const to = args[2];
    if ('username' in to && refused.has(to.username)) {
      throw errors.mailboxFull({ username: to.username });
    }
    return store(...args);
  };
});

afterAll(async () => {
  await h?.close();
});

const LANGUAGES = [
  {
    locale: 'en-US',
    retry: 'Retry',
    delete: 'Delete',
    confirm: 'Delete it from this browser? A copy that did arrive is not taken back.',
    failed: 'Failed: ',
    delivered: 'Delivered',
    read: 'Read',
    full: /^Failed: Their offline mailbox is full\. Try again later\.$/,
    other: { lang: 'zh-CN', full: /^发送失败：对方的离线信箱已满，请稍后再试。$/ },
  },
  {
    locale: 'zh-CN',
    retry: '重试',
    delete: '删除',
    confirm: '从这个浏览器中删除？如果对方其实已收到，那份不会被撤回。',
    failed: '发送失败：',
    delivered: '已送达',
    read: '已读',
    full: /^发送失败：对方的离线信箱已满，请稍后再试。$/,
    other: { lang: 'en', full: /^Failed: Their offline mailbox is full\. Try again later\.$/ },
  },
];

describe.each(LANGUAGES)('retry and delete in $locale', (lang) => {
  it('a failed message is retried once the server takes it, and another is deleted', async () => {
    const alice = await h.person(h.unique('alice'), { locale: lang.locale });
    const bob = await h.person(h.unique('bob'), { locale: lang.locale });
    await alice.register();
    await bob.register();
    await befriend(alice, bob);
    await alice.openFriend(bob.name);
    await bob.page.close();
    await expect
      .poll(() => alice.byTestId('link-state').getAttribute('data-link'), { timeout: 15_000 })
      .toBe('offline');

    refused.add(bob.name);
    await alice.type('try me again');
    await alice.type('throw me away');
    await alice.expectMessage('try me again', 'failed');
    await alice.expectMessage('throw me away', 'failed');
    const retried = alice.message('try me again');
    const doomed = alice.message('throw me away');
    // The reason is the server's error code, kept in history and worded in the page's language
    // when shown: switching the language rewords it.
    const reason = async () => (await retried.getByTestId('message-state').textContent())?.trim();
    expect(await reason()).toMatch(new RegExp(`^${lang.failed}`));
    expect(await reason()).toMatch(lang.full);
    const switchTo = async (to: string) => {
      await alice.byTestId('open-account').click();
      await alice.byTestId('language-select').selectOption(to);
      await alice.openFriend(bob.name);
    };
    await switchTo(lang.other.lang);
    await expect.poll(reason).toMatch(lang.other.full);
    await switchTo(lang.locale === 'en-US' ? 'en' : 'zh-CN');
    await expect.poll(reason).toMatch(lang.full);
    // Only a failed message of mine has the buttons; the labels are in the page's language.
    expect((await retried.getByTestId('message-retry').textContent())?.trim()).toBe(lang.retry);
    expect((await retried.getByTestId('message-delete').textContent())?.trim()).toBe(lang.delete);
    const id = await retried.getAttribute('data-id');

    // Retry with the server still refusing: failed again, the buttons stay.
    await retried.getByTestId('message-retry').click();
    await alice.expectMessage('try me again', 'failed');
    await retried.getByTestId('message-retry').waitFor();

    // Delete by keyboard: the confirm takes focus; Escape backs out and gives focus back.
    await doomed.getByTestId('message-delete').focus();
    await alice.page.keyboard.press('Enter');
    const confirm = doomed.getByTestId('message-delete-confirm');
    await confirm.waitFor();
    expect((await doomed.locator('.confirm').textContent())?.trim()).toBe(lang.confirm);
    await expect.poll(() => confirm.evaluate((el) => el === document.activeElement)).toBe(true);
    await alice.page.keyboard.press('Escape');
    await doomed.getByTestId('message-delete').waitFor();
    expect(
      await doomed.getByTestId('message-delete').evaluate((el) => el === document.activeElement),
    ).toBe(true);
    await alice.page.keyboard.press('Enter');
    await confirm.waitFor();
    await alice.page.keyboard.press('Enter');
    await doomed.waitFor({ state: 'detached' });

    // The mailbox has room again: Retry stores it, with the same id.
    refused.delete(bob.name);
    await retried.getByTestId('message-retry').click();
    await alice.expectMessage('try me again', 'stored');
    expect(await retried.getAttribute('data-id')).toBe(id);
    expect(await retried.getByTestId('message-actions').count()).toBe(0);

    await bob.reopen();
    await bob.signedIn();
    // Bob picked it up; his new tab may open on alice's chat and read it at once (a receipt).
    const arrived = () => retried.getAttribute('data-state');
    await expect.poll(arrived, { timeout: 20_000 }).toMatch(/^(delivered|read)$/);
    expect((await retried.getByTestId('message-state').textContent())?.trim()).toBe(
      (await arrived()) === 'read' ? lang.read : lang.delivered,
    );
    await bob.openFriend(alice.name);
    await bob.expectMessage('try me again');
    expect(await bob.message('try me again').count()).toBe(1);
    expect(await bob.message('throw me away').count()).toBe(0);

    // Deleted is deleted: not back after a reload.
    await alice.reload();
    await alice.signedIn();
    await alice.openFriend(bob.name);
    await alice.expectMessage('try me again');
    await expect.poll(arrived).toMatch(/^(delivered|read)$/);
    expect(await alice.message('throw me away').count()).toBe(0);
  }, 120_000);
});
