/**
 * Relationships end to end, through the UI: group roles, leaving and deleting groups, removing a
 * friend, and the status a friend sees. Same harness as chat.test.ts: one browser context a person.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  befriend,
  inviteToGroup,
  startHarness,
  type Harness,
  type Person,
} from '../helpers/browser.ts';
import { m } from '../../web/src/paraglide/messages.js';

let h: Harness;
const member = (viewer: Person, username: string) =>
  viewer.page.locator(`[data-testid="member"][data-username="${username}"]`);

async function showMembers(p: Person): Promise<void> {
  if (!(await p.byTestId('group-panel').isVisible())) await p.byTestId('toggle-members').click();
}

/** `p` invites `who` from the members panel; `who` accepts. */
async function invite(p: Person, who: Person, group: string): Promise<void> {
  await showMembers(p);
  await inviteToGroup(p, who, group);
}

/** `owner` creates a group (it opens) and invites `members`; returns its name. */
async function makeGroup(owner: Person, ...members: Person[]): Promise<string> {
  const group = h.unique('team');
  await owner.page.locator('#new-group-input').fill(group);
  await owner.page.locator('#new-group-input').press('Enter');
  await expect.poll(() => owner.byTestId('conversation-title').textContent()).toBe(group);
  for (const m of members) await invite(owner, m, group);
  return group;
}

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

describe('group roles', () => {
  it('the owner promotes a member, who then invites; the owner demotes them again', async () => {
    const [alice, bob, carol] = await h.people('alice', 'bob', 'carol');
    const group = await makeGroup(alice!, bob!);

    // A plain member is offered neither inviting nor removing.
    await bob!.openGroup(group);
    await showMembers(bob!);
    await member(bob!, alice!.name).waitFor();
    expect(await bob!.page.locator('#invite-member-input').count()).toBe(0);
    expect(await bob!.byTestId('kick-member').count()).toBe(0);

    await member(alice!, bob!.name).getByTestId('promote-member').click();
    await expect.poll(() => member(alice!, bob!.name).getAttribute('data-role')).toBe('admin');
    await expect.poll(() => member(bob!, bob!.name).getAttribute('data-role')).toBe('admin');

    await invite(bob!, carol!, group);
    // An admin may remove the plain member, but not the owner.
    expect(await member(bob!, carol!.name).getByTestId('kick-member').count()).toBe(1);
    expect(await member(bob!, alice!.name).getByTestId('kick-member').count()).toBe(0);

    await member(alice!, bob!.name).getByTestId('demote-member').click();
    await expect.poll(() => member(bob!, bob!.name).getAttribute('data-role')).toBe('member');
    await expect.poll(() => bob!.page.locator('#invite-member-input').count()).toBe(0);
  });
});

describe('leaving and deleting groups', () => {
  it('a member leaves and the count drops; the owner deletes and it is gone for the rest', async () => {
    const [alice, bob, carol] = await h.people('alice', 'bob', 'carol');
    const group = await makeGroup(alice!, bob!, carol!);
    const total = () => alice!.groupRow(group).getByTestId('row-meta').textContent();
    await expect.poll(total).toBe('3/3 online');

    await bob!.openGroup(group);
    await showMembers(bob!);
    await bob!.byTestId('leave-group').click();
    await bob!.byTestId('confirm-group-action').click();
    await expect.poll(() => bob!.groupRow(group).count()).toBe(0);
    await expect.poll(total).toBe('2/2 online');
    await expect.poll(() => member(alice!, bob!.name).count()).toBe(0);

    await alice!.byTestId('delete-group').click();
    await alice!.byTestId('confirm-group-action').click();
    await expect.poll(() => alice!.groupRow(group).count()).toBe(0);
    await expect.poll(() => carol!.groupRow(group).count()).toBe(0);
  });
});

describe.each([
  { locale: 'en-US', lang: 'en' },
  { locale: 'zh-CN', lang: 'zh-CN' },
] as const)('an owner leaving ($locale)', ({ locale, lang }) => {
  it('is told who owns the group now, and the console opens', async () => {
    const people: Person[] = [];
    for (const n of ['olive', 'pete']) {
      const p = await h.person(h.unique(n), { locale });
      await p.register();
      people.push(p);
    }
    const [olive, pete] = people as [Person, Person];
    const group = await makeGroup(olive, pete);

    // The panel goes as the group leaves the list, before the server's answer arrives; what it
    // says comes from that answer, so it must not hang on the panel still being there.
    await olive.byTestId('leave-group').click();
    await olive.byTestId('confirm-group-action').click();
    await expect
      .poll(() => olive.byTestId('toast').allTextContents())
      .toContainEqual(
        expect.stringContaining(
          m.walkthrough_leftNewOwner({ group, owner: pete.name }, { locale: lang }),
        ),
      );
    await olive.byTestId('console').waitFor();
    await pete.openGroup(group);
    await showMembers(pete);
    await expect.poll(() => member(pete, pete.name).getAttribute('data-role')).toBe('owner');
    // The line he reads says it as a sentence should ("You is now the owner", "你 成为群主" before).
    await expect
      .poll(() => pete.page.getByTestId('group-event').allTextContents())
      .toEqual([
        m.groupEvents_left({ name: olive.name }, { locale: lang }),
        m.groupEvents_youOwner({}, { locale: lang }),
      ]);
  });
});

describe('friends', () => {
  it('removing a friend asks first, then both sides see it', async () => {
    const [alice, bob] = await h.people('alice', 'bob');
    await befriend(alice!, bob!);
    await bob!.openFriend(alice!.name);
    await alice!.openFriend(bob!.name);

    await alice!.byTestId('remove-friend').click();
    await alice!.page.getByRole('button', { name: 'Cancel' }).click();
    expect(await alice!.friendRow(bob!.name).count()).toBe(1);

    await alice!.byTestId('remove-friend').click();
    await alice!.byTestId('confirm-remove-friend').click();
    await expect.poll(() => alice!.friendRow(bob!.name).count()).toBe(0);
    await expect.poll(() => bob!.friendRow(alice!.name).count()).toBe(0);
    // The conversation stays, closed to messages, on both sides.
    for (const [viewer, other] of [
      [alice!, bob!],
      [bob!, alice!],
    ] as const) {
      await expect
        .poll(() => viewer.page.getByText(`You are not friends with ${other.name}.`).count())
        .toBe(1);
    }
  });

  it('a status set to away shows as away to a friend', async () => {
    const [alice, bob] = await h.people('alice', 'bob');
    await befriend(alice!, bob!);
    const presence = () =>
      bob!.friendRow(alice!.name).getByTestId('presence').getAttribute('data-status');
    await expect.poll(presence).toBe('online');
    await alice!.byTestId('status-select').selectOption('away');
    await expect.poll(presence).toBe('away');
    await expect.poll(() => bob!.friendRow(alice!.name).textContent()).toMatch(/away/i);
  });
});
