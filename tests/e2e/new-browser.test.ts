/**
 * A new browser for an account that had mail waiting (issue 12), in an en-US browser and a zh-CN
 * one: the one-time note says history lives in each browser and that the stored messages were
 * opened with the keys restored from the backup, with their count, and the messages are there.
 * When the backup is gone, the note says the stored copies sealed to the old keys could not be
 * opened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usernameKey } from '../../shared/names.ts';
import { befriend, startHarness, type Harness, type Person } from '../helpers/browser.ts';
import { m } from '../../web/src/paraglide/messages.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

const note = (p: Person) => p.byTestId('history-note');

/** `by` writes to `to` while `to` is away: each message is handed to the server's store. */
async function sendWhileAway(by: Person, to: string, texts: string[]): Promise<void> {
  await by.openFriend(to);
  await expect.poll(() => by.byTestId('link-state').getAttribute('data-link')).toBe('offline');
  for (const text of texts) {
    await by.type(text);
    await by.expectMessage(text, 'stored');
  }
}

for (const [locale, lang] of [
  ['en-US', 'en'],
  ['zh-CN', 'zh-CN'],
] as const) {
  const o = { locale: lang };
  describe(`a new browser with mail waiting (${locale})`, () => {
    it('says the stored messages were opened with the restored keys, once; or that some could not be', async () => {
      const alice = await h.person(h.unique('alice'), { locale });
      const bob = await h.person(h.unique('bob'), { locale });
      await alice.register();
      await bob.register();
      // Registering is a new browser with nothing stored: the plain note.
      await expect.poll(() => note(bob).textContent()).toContain(m.historyNote_text({}, o));
      await befriend(alice, bob);

      await bob.page.close();
      const away = ['while you were away', 'and one more thing'];
      await sendWhileAway(alice, bob.name, away);

      // A browser bob never used: the backup opens with his password, the mail with his keys.
      const laptop = await h.person(bob.name, { locale });
      await laptop.login();
      await expect
        .poll(() => note(laptop).textContent())
        .toContain(m.historyNote_restored({ count: 2 }, o));
      expect(await note(laptop).getAttribute('role')).toBe('note');
      expect(await note(laptop).getAttribute('data-opened')).toBe('2');
      expect(await note(laptop).getAttribute('data-unreadable')).toBe('0');
      await laptop.openFriend(alice.name);
      for (const text of away) await laptop.expectMessage(text);
      // Shown above the open conversation too, until dismissed; then never again here.
      expect(await note(laptop).isVisible()).toBe(true);
      await note(laptop)
        .getByRole('button', { name: m.historyNote_ok({}, o) })
        .click();
      expect(await note(laptop).count()).toBe(0);
      await laptop.reload();
      await laptop.signedIn();
      await laptop.friendRow(alice.name).waitFor();
      expect(await note(laptop).count()).toBe(0);

      // The backup is gone (the server lost it): another new browser makes new keys, and the
      // copy sealed to the old ones cannot be opened there. The note says so.
      await laptop.page.close();
      await sendWhileAway(alice, bob.name, ['sealed to your old key']);
      await h.server.app.store.db
        .updateTable('users')
        .set({ key_backup: null })
        .where('username_key', '=', usernameKey(bob.name))
        .execute();
      const phone = await h.person(bob.name, { locale });
      await phone.login();
      await expect
        .poll(() => note(phone).textContent())
        .toContain(m.historyNote_unreadable({ count: 1 }, o));
      expect(await note(phone).textContent()).toContain(m.historyNote_text({}, o));
      expect(await note(phone).getAttribute('data-unreadable')).toBe('1');
    });
  });
}
