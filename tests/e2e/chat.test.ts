/**
 * The web client end to end: real Chromium, one browser context per person, the built client
 * served by a real signaling server. Everything is done through the UI, as a person would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PASSWORD,
  befriend,
  startGroup,
  startHarness,
  type Harness,
  type Person,
} from '../helpers/browser.ts';

let h: Harness;
const presenceOf = (viewer: Person, friend: string) => () =>
  viewer.friendRow(friend).getByTestId('presence').getAttribute('data-status');

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

describe('signing in', () => {
  it('shows the server’s errors in place', async () => {
    const [dana] = await h.people('dana');
    await dana!.byTestId('sign-out').click();
    await dana!.fillAuth('login', 'not the password');
    await expect
      .poll(() => dana!.byTestId('auth-error').textContent())
      .toBe('Wrong username or password.');

    const twin = await h.person(dana!.name);
    await twin.fillAuth('register');
    await expect
      .poll(() => twin.byTestId('auth-error').textContent())
      .toBe('That username is taken. Pick another.');
  });
});

describe('private chat', () => {
  it('befriends with request and accept, then chats directly with unread counts', async () => {
    const [alice, bob] = await h.people('alice', 'bob');
    await alice!.addFriend(bob!.name);
    const request = bob!.page.locator(
      `[data-testid="incoming-request"][data-username="${alice!.name}"]`,
    );
    await request.waitFor();
    await bob!.accept(alice!.name);
    await alice!.friendRow(bob!.name).waitFor();
    await expect.poll(presenceOf(alice!, bob!.name)).toBe('online');

    await alice!.openFriend(bob!.name);
    await alice!.type('hello bob');
    await alice!.expectMessage('hello bob', 'delivered');
    await expect.poll(() => alice!.byTestId('link-state').getAttribute('data-link')).toBe('direct');

    await expect.poll(() => bob!.friendRow(alice!.name).getAttribute('data-unread')).toBe('1');
    await bob!.openFriend(alice!.name);
    await bob!.expectMessage('hello bob');
    await expect.poll(() => bob!.friendRow(alice!.name).getAttribute('data-unread')).toBe('0');

    // Shift+Enter is a newline, Enter sends.
    const input = bob!.byTestId('composer-input');
    await input.fill('hi alice');
    await input.press('Shift+Enter');
    await input.pressSequentially('second line');
    await input.press('Enter');
    await alice!.expectMessage('hi alice\nsecond line');
    // Alice has the conversation open and on screen: her read receipt goes past delivered.
    await bob!.expectMessage('hi alice\nsecond line', 'read');
  });

  it('delivers what was sent while someone was away, and keeps history across reloads', async () => {
    const [alice, bob] = await h.people('alice', 'bob');
    await befriend(alice!, bob!);
    await alice!.openFriend(bob!.name);
    await alice!.type('before you left');
    await alice!.expectMessage('before you left', 'delivered');

    await bob!.page.close();
    await expect.poll(presenceOf(alice!, bob!.name), { timeout: 15_000 }).toBe('offline');
    await expect
      .poll(() => alice!.byTestId('link-state').getAttribute('data-link'))
      .toBe('offline');
    await alice!.type('while you were away');
    await alice!.expectMessage('while you were away', 'stored');

    // Bob comes back in the same browser profile: the stored token signs him in again.
    await bob!.reopen();
    await bob!.signedIn();
    // A new tab opens on the last conversation (alice's), so both show there and none is unread.
    await expect
      .poll(() => bob!.byTestId('conversation-title').textContent(), { timeout: 15_000 })
      .toBe(alice!.name);
    await bob!.expectMessage('before you left');
    await bob!.expectMessage('while you were away');
    await expect.poll(() => bob!.friendRow(alice!.name).getAttribute('data-unread')).toBe('0');
    // Bob picked it up (the server's receipt makes Alice's "stored" true no longer, issue 12) and
    // has the conversation on screen, so his read receipt takes both past delivered.
    await alice!.expectMessage('while you were away', 'read');

    await bob!.reload();
    await bob!.signedIn();
    await bob!.openFriend(alice!.name);
    await bob!.expectMessage('before you left');
    await bob!.expectMessage('while you were away');

    await alice!.reload();
    await alice!.signedIn();
    await alice!.openFriend(bob!.name);
    await alice!.expectMessage('before you left', 'read');
    await alice!.expectMessage('while you were away', 'read');
  });
});

describe('history', () => {
  it('loads older pages when scrolling up', async () => {
    const [alice, bob] = await h.people('alice', 'bob');
    await befriend(alice!, bob!);
    await alice!.openFriend(bob!.name);
    // One more than a page (PAGE_SIZE = 50 in web/src/state/conversation.svelte.ts).
    for (let i = 1; i <= 55; i++) await alice!.type(`message ${i}`);
    await alice!.expectMessage('message 55', 'delivered');
    // Every one of them shown, in order, and acknowledged (none lost to a fast typist).
    const states = () =>
      alice!.page
        .getByTestId('message')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-state')).join(','));
    await expect.poll(states, { timeout: 20_000 }).toBe(Array(55).fill('delivered').join(','));

    await alice!.reload();
    await alice!.signedIn();
    await alice!.openFriend(bob!.name);
    await alice!.expectMessage('message 55');
    expect(await alice!.message('message 1').count()).toBe(0);
    expect(await alice!.byTestId('history-start').count()).toBe(0);

    await alice!.byTestId('message-list').evaluate((el) => el.scrollTo({ top: 0 }));
    await alice!.expectMessage('message 1');
    await alice!.byTestId('history-start').waitFor();
    expect(await alice!.page.getByTestId('message').count()).toBe(55);
  });
});

describe('groups', () => {
  it('creates a group, invites friends and chats with all of them', async () => {
    const [alice, bob, carol] = await h.people('alice', 'bob', 'carol');
    await befriend(alice!, bob!);
    await befriend(alice!, carol!);

    const group = h.unique('team');
    await startGroup(alice!, [bob!, carol!], group);
    await expect
      .poll(() => alice!.groupRow(group).getByTestId('row-meta').textContent())
      .toBe('3/3 online');

    await bob!.openGroup(group);
    await carol!.openGroup(group);
    await alice!.type('welcome, both of you');
    await alice!.expectMessage('welcome, both of you', 'delivered');
    await bob!.expectMessage('welcome, both of you');
    await carol!.expectMessage('welcome, both of you');

    await bob!.type('thanks!');
    await carol!.expectMessage('thanks!');
    await expect
      .poll(() => carol!.message('thanks!').getByTestId('message-sender').textContent())
      .toBe(bob!.name);
    await bob!.expectMessage('thanks!', 'delivered');
  });
});

describe('the command bar', () => {
  it('runs / commands and shows their output, or the usage when they are wrong', async () => {
    const [alice, bob] = await h.people('alice', 'bob');
    await befriend(alice!, bob!);
    await alice!.openFriend(bob!.name);

    await alice!.type('/help');
    await expect.poll(() => alice!.lastNotice().textContent()).toMatch(/sendgroup/);
    await alice!.type('/add');
    await expect.poll(() => alice!.lastNotice().textContent()).toMatch(/usage: add <username>/);
    await expect
      .poll(() => alice!.page.getByTestId('notice').last().getAttribute('data-level'))
      .toBe('error');
    await alice!.type('/friends');
    await expect.poll(() => alice!.lastNotice().textContent()).toContain(bob!.name);

    const group = h.unique('cmd');
    await alice!.type(`/newgroup ${group}`);
    await alice!.groupRow(group).waitFor();
    await alice!.type('/groups');
    await expect.poll(() => alice!.lastNotice().textContent()).toContain(group);

    await alice!.byTestId('open-console').click();
    await alice!.type(`/send ${bob!.name} sent by command`);
    await alice!.openFriend(bob!.name);
    await alice!.expectMessage('sent by command', 'delivered');
    await bob!.openFriend(alice!.name);
    await bob!.expectMessage('sent by command');
    // A line that does not start with / is a message, even if it looks like a command.
    await alice!.type('help');
    await bob!.expectMessage('help');
  });
});

describe('administration', () => {
  it('an admin sends a system message and blocks a user, who is signed out and stays out', async () => {
    const [root, mallory] = await h.people('root', 'mallory');
    await h.server.app.services.auth.setAdmin(root!.name, true);
    // The admin flag is read when a session starts: sign in again to get the admin tools.
    await root!.byTestId('sign-out').click();
    await root!.login();
    await root!.byTestId('open-admin').click();
    const row = root!.page.locator(`[data-testid="admin-user"][data-username="${mallory!.name}"]`);
    await row.waitFor();
    // The admin's own row has no Block button (the server would refuse it), and says it is them.
    const own = root!.page.locator(`[data-testid="admin-user"][data-username="${root!.name}"]`);
    await expect.poll(() => own.getByTestId('admin-user-me').textContent()).toBe('(you)');
    expect(await own.getByTestId('admin-block-user').count()).toBe(0);
    expect(await row.getByTestId('admin-user-me').count()).toBe(0);

    await root!.byTestId('admin-send-user').fill(mallory!.name);
    await root!.byTestId('admin-send-text').fill('please read the rules');
    await root!.byTestId('admin-send').click();
    await expect.poll(() => root!.byTestId('admin-send-result').textContent()).toBe('Sent.');
    // In the System conversation, not a private chat with the admin.
    await mallory!.byTestId('system-conversation').click();
    const system = mallory!.page.locator('[data-testid="message"][data-system="true"]');
    await expect.poll(() => system.textContent()).toContain('please read the rules');
    expect(await mallory!.byTestId(`conversation-${root!.name}`).count()).toBe(0);

    // Blocking asks first, on the row: Cancel changes nothing, the confirm blocks.
    await row.getByTestId('admin-block-user').click();
    await row.getByTestId('confirm-block').getByRole('button', { name: 'Cancel' }).click();
    expect(await row.getAttribute('data-blocked')).toBe('false');
    await row.getByTestId('admin-block-user').click();
    await row.getByTestId('confirm-block-yes').click();
    await expect.poll(() => row.getAttribute('data-blocked')).toBe('true');
    const ended = mallory!.byTestId('session-ended');
    await expect
      .poll(() => ended.locator('strong').textContent(), { timeout: 15_000 })
      .toBe('Your account has been blocked');
    // The sign-in screen's own words for the reason, not the server's message.
    expect(await ended.locator('span').textContent()).toBe(
      'If you think this is a mistake, ask an administrator.',
    );
    await mallory!.fillAuth('login', PASSWORD);
    await expect
      .poll(() => mallory!.byTestId('auth-error').textContent())
      .toBe('This account is blocked by an administrator.');
    await expect.poll(() => root!.byTestId('admin-log').textContent()).toContain(mallory!.name);
    expect(await mallory!.byTestId('me-name').count()).toBe(0);
  });
});
