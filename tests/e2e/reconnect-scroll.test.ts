/**
 * Issue 12: "after a reconnect the open chat jumps to the top". A long chat is open while the
 * connection goes: every socket dropped by the server, the browser offline, the server restarted
 * on the same port. Through the outage and once the client is back, the reader is where they
 * were: at the bottom if they were at the bottom (the reconnecting banner taking room from the
 * list included), on the same message if they had scrolled up. The view is added to in place
 * (ConversationView.refresh), never reloaded (tests/unit/conversation-refresh.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  befriend,
  inviteToGroup,
  startHarness,
  type Harness,
  type Person,
} from '../helpers/browser.ts';
import { restartOnSamePort } from '../helpers/engine.ts';
import type { TestServer } from '../helpers/server.ts';

let h: Harness;
let restarted: TestServer | null = null;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await restarted?.stop();
  await h?.close();
});

const scroll = (p: Person) =>
  p.byTestId('message-list').evaluate((el) => ({
    top: el.scrollTop,
    fromBottom: el.scrollHeight - el.scrollTop - el.clientHeight,
  }));

/** Drops every socket from the server side and waits until this person is connected again. */
async function dropAndReconnect(p: Person): Promise<void> {
  h.server.app.io.disconnectSockets(true);
  await p.byTestId('reconnecting').waitFor();
  await p.byTestId('reconnecting').waitFor({ state: 'detached', timeout: 15_000 });
  // The reload after session:ready (history page, members) has landed and rendered.
  await p.page.waitForTimeout(500);
}

describe('a reconnect while a chat is open', () => {
  let alice: Person;
  let bob: Person;
  const count = 40;

  it('keeps the reader at the bottom', async () => {
    [alice, bob] = (await h.people('alice', 'bob')) as [Person, Person];
    await befriend(alice, bob);
    await alice.openFriend(bob.name);
    for (let i = 1; i <= count; i++) await alice.type(`line ${i}`);
    await alice.expectMessage(`line ${count}`);
    await bob.openFriend(alice.name);
    await bob.expectMessage(`line ${count}`);
    await expect.poll(async () => (await scroll(bob)).fromBottom).toBeLessThan(5);
    expect((await scroll(bob)).top).toBeGreaterThan(200); // long enough to scroll

    await dropAndReconnect(bob);
    await expect.poll(async () => (await scroll(bob)).fromBottom).toBeLessThan(5);
    // Still one copy of each message, and the chat still works both ways.
    expect(await bob.message('line 1').count()).toBe(1);
    await alice.type('after the reconnect');
    await bob.expectMessage('after the reconnect');
    await expect.poll(async () => (await scroll(bob)).fromBottom).toBeLessThan(5);
  });

  it('keeps the reader at the bottom through a network outage', async () => {
    await bob.context.setOffline(true);
    try {
      await bob.byTestId('reconnecting').waitFor({ timeout: 60_000 });
      // The banner takes room from the list: the last message is still in full view.
      await expect.poll(async () => (await scroll(bob)).fromBottom).toBeLessThan(5);
    } finally {
      await bob.context.setOffline(false);
    }
    await bob.byTestId('reconnecting').waitFor({ state: 'detached', timeout: 30_000 });
    await bob.page.waitForTimeout(500);
    await expect.poll(async () => (await scroll(bob)).fromBottom).toBeLessThan(5);
  });

  it('keeps a group chat at the bottom', async () => {
    const group = h.unique('team');
    await alice.page.locator('#new-group-input').fill(group);
    await alice.page.locator('#new-group-input').press('Enter');
    await expect.poll(() => alice.byTestId('conversation-title').textContent()).toBe(group);
    if (!(await alice.byTestId('group-panel').isVisible()))
      await alice.byTestId('toggle-members').click();
    await inviteToGroup(alice, bob, group);
    for (let i = 1; i <= count; i++) await alice.type(`g ${i}`);
    await bob.openGroup(group);
    await bob.expectMessage(`g ${count}`);
    await expect.poll(async () => (await scroll(bob)).fromBottom).toBeLessThan(5);
    await dropAndReconnect(bob);
    await expect.poll(async () => (await scroll(bob)).fromBottom).toBeLessThan(5);
    await bob.openFriend(alice.name);
  });

  it('keeps a reader who scrolled up on the same place', async () => {
    await bob.byTestId('message-list').evaluate((el) => {
      el.scrollTop = el.scrollHeight / 2;
    });
    const before = await scroll(bob);
    await dropAndReconnect(bob);
    const after = await scroll(bob);
    expect(Math.abs(after.top - before.top)).toBeLessThan(5);
  });

  it('keeps the reader in place through a server restart', async () => {
    const before = await scroll(bob);
    restarted = await restartOnSamePort(h.server);
    await bob.byTestId('reconnecting').waitFor({ state: 'detached', timeout: 30_000 });
    await bob.page.waitForTimeout(500);
    expect(Math.abs((await scroll(bob)).top - before.top)).toBeLessThan(5);
  });
});
