/**
 * The composer in a real browser, in an en-US and a zh-CN browser: an example chip puts its
 * command in the box; `/login` and `/reg` with a password are masked while typed and ask (in the
 * page's language) before switching accounts, and no password is left on screen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/browser.ts';
import { m } from '../../web/src/paraglide/messages.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

describe.each([
  { locale: 'en-US', lang: 'en' },
  { locale: 'zh-CN', lang: 'zh-CN' },
] as const)('the composer in $locale', ({ locale, lang }) => {
  it('chips insert their command; /login is masked and asks before switching', async () => {
    const o = { locale: lang };
    const alice = await h.person(h.unique('alice'), { locale });
    await alice.register();
    const input = alice.byTestId('composer-input');

    await alice.byTestId('example-chip').filter({ hasText: '/friends' }).click();
    expect(await input.inputValue()).toBe('/friends');
    expect(await input.evaluate((el) => el === document.activeElement)).toBe(true);

    await input.fill('/login mallory hunter2');
    expect(await input.getAttribute('class')).toContain('secret');
    await expect
      .poll(() => alice.byTestId('password-hidden').textContent())
      .toContain(m.walkthrough_passwordHidden({ shown: '/login mallory ••••••' }, o));
    await input.press('Enter');
    // The box is cleared at once; the question names both accounts.
    expect(await input.inputValue()).toBe('');
    await expect
      .poll(() => alice.byTestId('confirm-switch').textContent())
      .toContain(m.walkthrough_switchAccountLogin({ from: alice.name, to: 'mallory' }, o));
    await alice
      .byTestId('confirm-switch')
      .getByRole('button', { name: m.cancel({}, o) })
      .click();
    expect(await alice.byTestId('confirm-switch').count()).toBe(0);
    expect(await alice.byTestId('me-name').textContent()).toBe(alice.name);
    // /reg asks the same way, naming the account it would create.
    await input.fill('/reg mallory hunter2');
    expect(await input.getAttribute('class')).toContain('secret');
    await input.press('Enter');
    await expect
      .poll(() => alice.byTestId('confirm-switch').textContent())
      .toContain(m.walkthrough_switchAccountRegister({ from: alice.name, to: 'mallory' }, o));
    await alice
      .byTestId('confirm-switch')
      .getByRole('button', { name: m.cancel({}, o) })
      .click();
    expect(await alice.byTestId('confirm-switch').count()).toBe(0);

    // Confirmed, the login runs (and fails: no such account); its echo hides the password and
    // the box does not get it back.
    await input.fill('/login mallory hunter2');
    await input.press('Enter');
    await alice.byTestId('confirm-switch-yes').click();
    await expect.poll(() => alice.page.getByTestId('notice').count()).toBeGreaterThan(0);
    const shown = await alice.page.locator('body').innerText();
    expect(shown).not.toContain('hunter2');
    expect(await input.inputValue()).toBe('');
  });
});
