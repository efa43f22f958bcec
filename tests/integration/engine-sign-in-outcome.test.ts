/**
 * What a sign-in came to (issue 12), against the real server: whether the browser held no history
 * for the account before the stored mail was written, whether the keys came from the backup, and
 * how many stored copies were opened or could not be.
 */
import { describe, expect, it } from 'vitest';
import type { ChatEngine, SignInOutcome } from '../../web/src/core/api.ts';
import { usernameKey } from '../../shared/names.ts';
import {
  befriend,
  browser,
  findMessage,
  joinGroup,
  serverPerTest,
  signedIn,
  startEngine,
  waitForState,
} from '../helpers/engine.ts';
import { eventually, type TestServer } from '../helpers/server.ts';

let server: TestServer;

serverPerTest(
  (s) => (server = s),
  () => server,
);

const PASSWORD = 'correct horse battery';

/** The next sign-in outcome `engine` announces (subscribe before signing in). */
function nextOutcome(engine: ChatEngine): Promise<SignInOutcome> {
  return new Promise((resolve) => {
    const off = engine.on((event) => {
      if (event.type !== 'signed-in') return;
      off();
      resolve(event.outcome);
    });
  });
}

/** `name` signs off; `by` waits until the server tells them so. */
async function offline(by: ChatEngine, gone: ChatEngine, name: string): Promise<void> {
  await gone.destroy();
  await eventually(
    () => by.social.friends.some((f) => f.username === name && f.status === 'offline'),
    10_000,
    `${name} offline`,
  );
}

describe('engine: what a sign-in came to', () => {
  it('a new browser: empty before the mail, keys restored, every stored copy opened and counted', async () => {
    const alice = await signedIn(server.url, 'alice');
    // A first sign-in: a new browser too, with new keys and nothing stored.
    const bob = startEngine(server.url);
    const registered = nextOutcome(bob);
    await bob.register('bob', PASSWORD);
    expect(await registered).toEqual({
      username: 'bob',
      firstInBrowser: true,
      keysRestored: false,
      storedOpened: 0,
      storedUnreadable: 0,
    });
    await befriend(alice.engine, bob);
    const group = await alice.engine.createGroup('crew');
    await joinGroup(alice.engine, bob, group.id);
    await offline(alice.engine, bob, 'bob');

    const sent = [
      await alice.engine.sendPrivate('bob', 'first while away'),
      await alice.engine.sendPrivate('bob', 'second while away'),
    ];
    for (const m of sent) await waitForState(alice.engine, 'u:bob', m.id, ['stored']);
    const inGroup = await alice.engine.sendGroup(group.id, 'to the crew');
    await waitForState(alice.engine, `g:${group.id}`, inGroup.id, ['stored']);

    // Bob in a browser he never used: the backup opens with his password, the mail with his keys.
    const profile = browser();
    const device = startEngine(server.url, profile);
    const arrived = nextOutcome(device);
    await device.login('bob', PASSWORD);
    expect(await arrived).toEqual({
      username: 'bob',
      firstInBrowser: true,
      keysRestored: true,
      storedOpened: 3,
      storedUnreadable: 0,
    });
    // Announced once the copies are in history, not before.
    for (const m of sent)
      expect(await findMessage(device, 'u:alice', m.id)).toMatchObject({ text: m.text });
    expect(await findMessage(device, `g:${group.id}`, inGroup.id)).toMatchObject({
      text: 'to the crew',
    });

    // The same browser next time: it has history, its keys are its own, nothing waited.
    await device.destroy();
    const again = startEngine(server.url, profile);
    const resumed = nextOutcome(again);
    expect(await again.resume()).toBe(true);
    expect(await resumed).toEqual({
      username: 'bob',
      firstInBrowser: false,
      keysRestored: false,
      storedOpened: 0,
      storedUnreadable: 0,
    });
  });

  it('a backup that is gone: new keys, and the copies sealed to the old ones are counted unreadable', async () => {
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);
    await offline(alice.engine, bob.engine, 'bob');
    const sent = await alice.engine.sendPrivate('bob', 'sealed to your old key');
    await waitForState(alice.engine, 'u:bob', sent.id, ['stored']);
    await server.app.store.db
      .updateTable('users')
      .set({ key_backup: null })
      .where('username_key', '=', usernameKey('bob'))
      .execute();

    const device = startEngine(server.url);
    const arrived = nextOutcome(device);
    await device.login('bob', PASSWORD);
    expect(await arrived).toEqual({
      username: 'bob',
      firstInBrowser: true,
      keysRestored: false,
      storedOpened: 0,
      storedUnreadable: 1,
    });
    expect(await findMessage(device, 'u:alice', sent.id)).toBeUndefined();
  });
});
