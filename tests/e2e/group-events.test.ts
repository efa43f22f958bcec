/**
 * Group events as lines of the conversation, in a zh-CN browser and an en-US one: a join, a
 * removal (asked first, inline), an admin's block and a deletion, each worded for the reader; a
 * removed member's conversation stays, under its name, read-only with the reason, across a reload.
 * And the one-time note of a new browser that history lives in each browser.
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

const member = (viewer: Person, username: string) =>
  viewer.page.locator(`[data-testid="member"][data-username="${username}"]`);
const events = (p: Person) => p.page.getByTestId('group-event');

async function showMembers(p: Person): Promise<void> {
  if (!(await p.byTestId('group-panel').isVisible())) await p.byTestId('toggle-members').click();
}

for (const [locale, lang] of [
  ['en-US', 'en'],
  ['zh-CN', 'zh-CN'],
] as const) {
  // The words this browser should show: its interface language's messages.
  const o = { locale: lang };
  describe(`group events (${locale})`, () => {
    it('shows joins, removals, blocks and the deletion as lines; an ended group stays, read-only', async () => {
      const people: Person[] = [];
      for (const n of ['dave', 'bob', 'hong']) {
        const p = await h.person(h.unique(n), { locale });
        await p.register();
        people.push(p);
      }
      const [dave, bob, hong] = people as [Person, Person, Person];

      // A new browser says once that history lives in each browser; dismissed, it stays away.
      await expect
        .poll(() => dave.byTestId('history-note').textContent())
        .toContain(m.historyNote_text({}, o));
      await dave
        .byTestId('history-note')
        .getByRole('button', { name: m.historyNote_ok({}, o) })
        .click();
      expect(await dave.byTestId('history-note').count()).toBe(0);
      await dave.reload();
      await dave.signedIn();
      await dave.byTestId('console').waitFor();
      expect(await dave.byTestId('history-note').count()).toBe(0);

      const group = h.unique('crew');
      await dave.page.locator('#new-group-input').fill(group);
      await dave.page.locator('#new-group-input').press('Enter');
      await expect.poll(() => dave.byTestId('conversation-title').textContent()).toBe(group);
      const groupId = Number(
        (await dave.byTestId('conversation').getAttribute('data-conversation'))!.slice(2),
      );
      await showMembers(dave);
      await inviteToGroup(dave, bob, group);
      await inviteToGroup(dave, hong, group);
      await expect
        .poll(() => events(dave).allTextContents())
        .toEqual([
          m.groupEvents_joined({ name: bob.name }, o),
          m.groupEvents_joined({ name: hong.name }, o),
        ]);
      await bob.openGroup(group);
      await hong.openGroup(group);

      // Removing asks first, on the member's row: Cancel keeps them.
      await member(dave, hong.name).getByTestId('kick-member').click();
      await expect
        .poll(() => member(dave, hong.name).getByTestId('confirm-kick').textContent())
        .toContain(m.walkthrough_kickConfirm({ name: hong.name }, o));
      await member(dave, hong.name)
        .getByRole('button', { name: m.cancel({}, o) })
        .click();
      expect(await member(dave, hong.name).getByTestId('confirm-kick').count()).toBe(0);
      await member(dave, hong.name).getByTestId('kick-member').click();
      await member(dave, hong.name).getByTestId('confirm-kick-yes').click();
      await expect.poll(() => member(dave, hong.name).count()).toBe(0);

      await expect
        .poll(() => events(bob).last().textContent())
        .toBe(m.groupEvents_removed({ by: dave.name, name: hong.name }, o));
      // The removed member's conversation is over but kept: its name, its lines, the reason.
      await expect
        .poll(() => events(hong).last().textContent())
        .toBe(m.groupEvents_youRemoved({ by: dave.name }, o));
      expect(await hong.byTestId('conversation-title').textContent()).toBe(group);
      await expect
        .poll(() => hong.byTestId('composer-reason').textContent())
        .toContain(m.groupEvents_endedRemoved({ by: dave.name }, o));
      expect(await hong.byTestId('composer-send').isDisabled()).toBe(true);
      await hong.byTestId(`ended-group-${group}`).waitFor();
      // History lives in the browser: after a reload it is all still there.
      await hong.reload();
      await hong.signedIn();
      await hong.byTestId(`ended-group-${group}`).click();
      await expect.poll(() => hong.byTestId('conversation-title').textContent()).toBe(group);
      // Their own join was the group appearing, not a line; the removal is.
      await expect
        .poll(() => events(hong).allTextContents())
        .toEqual([m.groupEvents_youRemoved({ by: dave.name }, o)]);
      await expect
        .poll(() => hong.byTestId('composer-reason').textContent())
        .toContain(m.groupEvents_endedRemoved({ by: dave.name }, o));

      // An administrator blocks the group: a line for the members, who may no longer write.
      await h.server.app.services.groups.setBlocked(groupId, true);
      await expect.poll(() => events(bob).last().textContent()).toBe(m.groupEvents_blocked({}, o));
      await expect
        .poll(() => bob.byTestId('composer-reason').textContent())
        .toContain(m.conversation_groupBlocked({}, o));
      // A disabled composer does not offer "Enter to send".
      expect(await bob.page.locator('#composer-hint').textContent()).toContain(
        m.walkthrough_disabledHint({}, o),
      );
      await h.server.app.services.groups.setBlocked(groupId, false);
      await expect
        .poll(() => events(bob).last().textContent())
        .toBe(m.groupEvents_unblocked({}, o));

      // The owner deletes it: the member keeps the conversation, read-only, with who did it.
      await dave.byTestId('delete-group').click();
      await dave.byTestId('confirm-group-action').click();
      await expect
        .poll(() => events(bob).last().textContent())
        .toBe(m.groupEvents_deleted({ by: dave.name }, o));
      expect(await bob.byTestId('conversation-title').textContent()).toBe(group);
      await expect
        .poll(() => bob.byTestId('composer-reason').textContent())
        .toContain(m.groupEvents_endedDeleted({ by: dave.name }, o));
      await bob.byTestId(`ended-group-${group}`).waitFor();
    });
  });
}
