/**
 * End-to-end encryption through the UI (issue 11): safety numbers compared and verified, a
 * friend's key changing under a conversation, and a password change that re-wraps the key backup.
 * Same harness as chat.test.ts: one browser context a person, the built client, a real server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usernameKey } from '../../shared/names.ts';
import { PASSWORD, befriend, startHarness, type Harness, type Person } from '../helpers/browser.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

const safetyGroups = (p: Person) => p.byTestId('safety-group').allTextContents();
const panel = (p: Person) => p.byTestId('security-panel');

async function openSafetyNumber(p: Person, friend: string): Promise<void> {
  await p.openFriend(friend);
  await p.byTestId('open-security').click();
  await panel(p).waitFor();
}

/**
 * `who` signs in on a fresh device after the server lost their key backup: the device makes new
 * keys and publishes them, which is a key change for everyone who pinned the old ones.
 */
async function newDeviceWithoutBackup(who: Person): Promise<Person> {
  await who.page.close();
  await h.server.app.store.db
    .updateTable('users')
    .set({ key_backup: null })
    .where('username_key', '=', usernameKey(who.name))
    .execute();
  const device = await h.person(who.name);
  await device.login();
  return device;
}

describe('safety numbers', () => {
  it('both sides see the same twelve groups; marking verified shows, survives a reload and undoes', async () => {
    const [alice, bob] = await h.people('alice', 'bob');
    await befriend(alice!, bob!);
    await openSafetyNumber(alice!, bob!.name);
    await openSafetyNumber(bob!, alice!.name);

    await expect.poll(() => safetyGroups(alice!)).toHaveLength(12);
    const number = await safetyGroups(alice!);
    for (const group of number) expect(group.trim()).toMatch(/^\d{5}$/);
    await expect.poll(() => safetyGroups(bob!)).toEqual(number);
    expect(await panel(alice!).getAttribute('data-verified')).toBe('false');
    expect(await alice!.byTestId('trust-state').textContent()).toContain('Not verified');

    await alice!.byTestId('toggle-verified').click();
    await expect.poll(() => panel(alice!).getAttribute('data-verified')).toBe('true');
    expect(await alice!.byTestId('trust-state').textContent()).toContain('Verified');
    expect(await alice!.byTestId('toggle-verified').textContent()).toContain('unmark');
    // Verifying is one side's record: bob has not compared yet.
    expect(await panel(bob!).getAttribute('data-verified')).toBe('false');

    await alice!.reload();
    await alice!.signedIn();
    await openSafetyNumber(alice!, bob!.name);
    await expect.poll(() => panel(alice!).getAttribute('data-verified')).toBe('true');
    await alice!.byTestId('toggle-verified').click();
    await expect.poll(() => panel(alice!).getAttribute('data-verified')).toBe('false');
  });
});

describe('a friend’s key changes', () => {
  it('holds the conversation until the new key is compared and accepted; loud once verified', async () => {
    const [alice, bob] = await h.people('alice', 'bob');
    await befriend(alice!, bob!);
    await alice!.openFriend(bob!.name);

    const bob2 = await newDeviceWithoutBackup(bob!);
    const banner = alice!.byTestId('key-changed');
    await banner.waitFor();
    expect(await banner.getAttribute('data-loud')).toBe('false');
    expect(await banner.textContent()).toContain(`${bob!.name}'s security key changed`);
    // Nothing can be sent to the changed key: the composer says why.
    await alice!.byTestId('composer-input').fill('are you there?');
    expect(await alice!.byTestId('composer-send').isDisabled()).toBe(true);
    await alice!.page
      .getByText(`Sending is paused until you decide on ${bob!.name}'s new key`)
      .waitFor();

    // Compare: the panel shows the number with the new key, which is what bob's new device shows.
    await alice!.byTestId('compare-keys').click();
    await expect.poll(() => panel(alice!).getAttribute('data-state')).toBe('changed');
    await openSafetyNumber(bob2, alice!.name);
    await expect.poll(() => safetyGroups(bob2)).toHaveLength(12);
    await expect.poll(() => safetyGroups(alice!)).toEqual(await safetyGroups(bob2));

    await alice!.byTestId('accept-key').click();
    await expect.poll(() => banner.count()).toBe(0);
    await expect.poll(() => panel(alice!).getAttribute('data-state')).toBe('pinned');
    await alice!.type('hello, new device');
    await bob2.expectMessage('hello, new device');

    // Verified, then changed again: the loud warning.
    await alice!.byTestId('toggle-verified').click();
    await expect.poll(() => panel(alice!).getAttribute('data-verified')).toBe('true');
    await newDeviceWithoutBackup(bob2);
    await banner.waitFor();
    expect(await banner.getAttribute('data-loud')).toBe('true');
    expect(await banner.getAttribute('role')).toBe('alert');
  });
});

describe('changing the password', () => {
  it('refuses a wrong current password and a short new one, then a new device signs in with it', async () => {
    const [alice, bob] = await h.people('alice', 'bob');
    await befriend(alice!, bob!);
    const NEW = 'a brand new passphrase';

    await alice!.byTestId('open-account').click();
    const error = alice!.byTestId('password-error');
    await alice!.byTestId('password-old').fill('not my password');
    await alice!.byTestId('password-new').fill(NEW);
    await alice!.byTestId('password-confirm').fill(NEW);
    await alice!.byTestId('password-submit').click();
    await expect.poll(() => error.textContent()).toBe('The current password is wrong.');
    expect(await alice!.byTestId('password-old').getAttribute('aria-invalid')).toBe('true');

    await alice!.byTestId('password-old').fill(PASSWORD);
    await alice!.byTestId('password-new').fill('short');
    await alice!.byTestId('password-confirm').fill('short');
    await alice!.byTestId('password-submit').click();
    await expect.poll(() => error.textContent()).toMatch(/at least 8 characters/);

    await alice!.byTestId('password-new').fill(NEW);
    await alice!.byTestId('password-confirm').fill(NEW);
    await alice!.byTestId('password-submit').click();
    await alice!.page
      .getByTestId('toast')
      .getByText('Password changed; your key backup was re-encrypted with it')
      .waitFor();
    expect(await error.textContent()).toBe('');

    // Alice goes away; bob's message is sealed to her key and stored by the server.
    await alice!.page.close();
    await bob!.openFriend(alice!.name);
    await expect.poll(() => bob!.byTestId('link-state').getAttribute('data-link')).toBe('offline');
    await bob!.type('while you were away');
    await bob!.expectMessage('while you were away', 'stored');

    // A fresh browser: the old password no longer works, the new one restores the backup.
    const device = await h.person(alice!.name);
    await device.fillAuth('login');
    await expect
      .poll(() => device.byTestId('auth-error').textContent())
      .toBe('Wrong username or password.');
    await device.fillAuth('login', NEW);
    await device.signedIn();
    await device.openFriend(bob!.name);
    await device.expectMessage('while you were away');
  });
});
