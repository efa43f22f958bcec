/**
 * The interface in a Chinese browser: it starts in 简体中文 (navigator.languages), says the server's
 * errors and the command bar's usage problems in Chinese by their code, and a switch to English
 * outlives a reload (the problems then read in English). Same harness as chat.test.ts, with the
 * browser context's locale set to zh-CN.
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

const lang = (p: Person) => p.page.evaluate(() => document.documentElement.lang);

describe('a Chinese browser', () => {
  let li: Person;
  let wang: Person;

  it('signs up in Chinese, with <html lang="zh-CN">', async () => {
    li = await h.person(h.unique('li'), { locale: 'zh-CN' });
    expect(await lang(li)).toBe('zh-CN');
    await expect.poll(() => li.byTestId('auth-submit').textContent()).toContain('登录');
    await li.register();
    expect(await li.page.locator('#friends-heading').textContent()).toBe('好友');
    expect(await li.byTestId('open-account').getAttribute('aria-label')).toBe('账号与密码');
  });

  it('befriends and messages with Chinese labels', async () => {
    wang = await h.person(h.unique('wang'), { locale: 'zh-CN' });
    await wang.register();
    await befriend(li, wang);
    await li.openFriend(wang.name);
    expect(await li.byTestId('composer-input').getAttribute('placeholder')).toBe(
      `发消息给 ${wang.name}`,
    );
    await li.type('你好，世界');
    await li.expectMessage('你好，世界');
    await wang.openFriend(li.name);
    await wang.expectMessage('你好，世界');
    // Wang has the chat open in a visible tab, so his read receipt makes it 已读 (read).
    await expect
      .poll(() => li.message('你好，世界').getByTestId('message-state').textContent())
      .toMatch(/已读/);
  });

  it('says what is wrong with a / command in Chinese', async () => {
    await li.openFriend(wang.name);
    await li.type('/add');
    await expect
      .poll(() => li.lastNotice().textContent())
      .toBe('add：缺少 <用户名>。用法：add <用户名>');
    await li.type('/sendgroup 0 你好');
    await expect
      .poll(() => li.lastNotice().textContent())
      .toBe(
        'sendgroup：群组编号须为 1 或更大的数，收到的是 "0"。用法：sendgroup <群组编号> <消息...>',
      );
    await li.type('/send 王 "没有闭合');
    await expect.poll(() => li.lastNotice().textContent()).toMatch(/^send：第 \d+ 列的双引号/);
  });

  it("says a server error in Chinese, by the error's code", async () => {
    const twin = await h.person(li.name, { locale: 'zh-CN' });
    await twin.fillAuth('register');
    await expect
      .poll(() => twin.byTestId('auth-error').textContent())
      .toBe('该用户名已被占用，请换一个。');
    // A detail the translation reads: the rule a name broke (a Cyrillic І among Latin letters).
    await twin.byTestId('auth-username').fill(li.name.toUpperCase().replace('I', 'І'));
    await twin.byTestId('auth-submit').click();
    await expect
      .poll(() => twin.byTestId('auth-error').textContent())
      .toBe('用户名不能混用不同文字的字母（例如拉丁字母夹杂西里尔字母）。');
  });

  it("marks an administrator's message as 系统消息", async () => {
    const root = await h.person(h.unique('root'), { locale: 'zh-CN' });
    await root.register();
    await h.server.app.services.auth.setAdmin(root.name, true);
    await root.byTestId('sign-out').click();
    await root.login();
    await root.byTestId('open-admin').click();
    await root.byTestId('admin-send-user').fill(li.name);
    await root.byTestId('admin-send-text').fill('请遵守社区规则');
    await root.byTestId('admin-send').click();
    await expect.poll(() => root.byTestId('admin-send-result').textContent()).toBe('已发送。');
    await li.byTestId('system-conversation').click();
    const system = li.page.locator('[data-testid="message"][data-system="true"]');
    await expect.poll(() => system.textContent()).toContain(`[系统消息] · ${root.name}`);
    expect(await system.textContent()).toContain('请遵守社区规则');
    expect(await system.getByTestId('system-audience').textContent()).toBe('发给你');
    expect(await li.byTestId('conversation-title').textContent()).toBe('系统消息');
  });

  it('remembers a switch to English across a reload', async () => {
    await li.byTestId('open-account').click();
    await li.byTestId('language-select').selectOption('en');
    await expect.poll(() => li.page.locator('#friends-heading').textContent()).toBe('Friends');
    expect(await lang(li)).toBe('en');
    // Every word on the page switched in place, labels and placeholders too: what Chinese is left
    // is what people wrote and the switch naming 简体中文 in itself.
    const chineseLeft = () =>
      li.page.evaluate(() => {
        const attrs = [...document.querySelectorAll('[aria-label], [title], [placeholder]')].map(
          (e) => ['aria-label', 'title', 'placeholder'].map((a) => e.getAttribute(a)).join(' '),
        );
        const text = [document.body.innerText, ...attrs].join('\n');
        return text
          .replace(/你好，世界|请遵守社区规则|简体中文|文A/g, '')
          .match(/\p{Script=Han}+/gu);
      });
    await expect.poll(chineseLeft).toBeNull();
    await li.reload();
    await li.signedIn();
    expect(await li.page.locator('#friends-heading').textContent()).toBe('Friends');
    expect(await lang(li)).toBe('en');
    // The command bar's problems follow the language.
    await li.openFriend(wang.name);
    await li.type('/add');
    await expect
      .poll(() => li.lastNotice().textContent())
      .toBe('add: missing <username>. usage: add <username>');
    // Back to Chinese, from the same switch.
    await li.byTestId('open-account').click();
    await li.byTestId('language-select').selectOption('zh-CN');
    await expect.poll(() => li.page.locator('#friends-heading').textContent()).toBe('好友');
  });
});
