/**
 * The composer in a real browser: an example chip puts its command in the box; `/login` with a
 * password is masked while typed, asks before switching accounts, and leaves no password on screen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/browser.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

describe('the composer', () => {
  it('chips insert their command; /login is masked and asks before switching', async () => {
    const [alice] = await h.people('alice');
    const input = alice!.byTestId('composer-input');

    await alice!.byTestId('example-chip').filter({ hasText: '/friends' }).click();
    expect(await input.inputValue()).toBe('/friends');
    expect(await input.evaluate((el) => el === document.activeElement)).toBe(true);

    await input.fill('/login mallory hunter2');
    expect(await input.getAttribute('class')).toContain('secret');
    await expect
      .poll(() => alice!.byTestId('password-hidden').textContent())
      .toContain('/login mallory ••••••');
    await input.press('Enter');
    // The box is cleared at once; the question names both accounts.
    expect(await input.inputValue()).toBe('');
    await expect
      .poll(() => alice!.byTestId('confirm-switch').textContent())
      .toContain(`This signs ${alice!.name} out and signs in as mallory`);
    await alice!.byTestId('confirm-switch').getByRole('button', { name: 'Cancel' }).click();
    expect(await alice!.byTestId('confirm-switch').count()).toBe(0);
    expect(await alice!.byTestId('me-name').textContent()).toBe(alice!.name);

    // Confirmed, the login runs (and fails: no such account); its echo hides the password and
    // the box does not get it back.
    await input.fill('/login mallory hunter2');
    await input.press('Enter');
    await alice!.byTestId('confirm-switch-yes').click();
    await expect.poll(() => alice!.page.getByTestId('notice').count()).toBeGreaterThan(0);
    const shown = await alice!.page.locator('body').innerText();
    expect(shown).not.toContain('hunter2');
    expect(await input.inputValue()).toBe('');
  });
});
