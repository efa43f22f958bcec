/**
 * Delivery states that are true (issue 12), engine to engine over the real server and real WebRTC:
 * a message handed to the offline store says "stored" until its recipient picks it up, then the
 * server's receipt makes it "delivered" — live, or when the sender comes back after an absence —
 * and a group message is delivered once every member it was stored for has picked it up.
 */
import { describe, expect, it } from 'vitest';
import {
  befriend,
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

const receiptRows = () => server.app.store.db.selectFrom('receipts').selectAll().execute();
const PASSWORD = 'correct horse battery';

async function goAway(p: {
  engine: { destroy(): Promise<void>; session: { user: { id: number } | null } };
}) {
  const id = p.engine.session.user?.id ?? 0;
  await p.engine.destroy();
  await eventually(() => !server.app.presence.isOnline(id), 5_000, 'offline');
}

describe('delivery receipts in the engine', () => {
  it('a stored message becomes delivered when the recipient picks it up, live', async () => {
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);
    await goAway(bob);

    const sent = await alice.engine.sendPrivate('bob', 'while you were out');
    await waitForState(alice.engine, 'u:bob', sent.id, ['stored'], 20_000);
    // Still stored: nobody has picked it up, whatever the time.
    expect((await findMessage(alice.engine, 'u:bob', sent.id))?.state).toBe('stored');

    const bobBack = startEngine(server.url, bob.profile);
    await bobBack.login('bob', PASSWORD);
    await eventually(
      async () => (await findMessage(bobBack, 'u:alice', sent.id)) !== undefined,
      10_000,
      'bob receives',
    );
    const done = await waitForState(alice.engine, 'u:bob', sent.id, ['delivered'], 10_000);
    expect(done.error).toBeUndefined();
    // Alice acknowledged the receipt: the server keeps nothing.
    await eventually(async () => (await receiptRows()).length === 0, 5_000, 'receipt acked');
  });

  it('a sender away at pickup hears of it when she signs in again', async () => {
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);
    await goAway(bob);
    const sent = await alice.engine.sendPrivate('bob', 'see you later');
    await waitForState(alice.engine, 'u:bob', sent.id, ['stored'], 20_000);
    await goAway(alice);

    const bobBack = startEngine(server.url, bob.profile);
    await bobBack.login('bob', PASSWORD);
    await eventually(async () => (await receiptRows()).length === 1, 10_000, 'receipt kept');

    const aliceBack = startEngine(server.url, alice.profile);
    expect(await aliceBack.resume()).toBe(true);
    await waitForState(aliceBack, 'u:bob', sent.id, ['delivered'], 10_000);
    await eventually(async () => (await receiptRows()).length === 0, 5_000, 'receipt acked');
  });

  it('a group message is delivered once every member it was stored for has it', async () => {
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    const carol = await signedIn(server.url, 'carol');
    const group = await alice.engine.createGroup('crew');
    for (const p of [bob, carol]) await joinGroup(alice.engine, p.engine, group.id);
    await goAway(bob);
    await goAway(carol);
    const conv = `g:${group.id}` as const;

    const sent = await alice.engine.sendGroup(group.id, 'hello crew');
    const stored = await waitForState(alice.engine, conv, sent.id, ['stored'], 20_000);
    expect(stored.fanout).toEqual({ delivered: 0, stored: 2, total: 2 });

    const bobBack = startEngine(server.url, bob.profile);
    await bobBack.login('bob', PASSWORD);
    await eventually(
      async () => (await findMessage(alice.engine, conv, sent.id))?.fanout?.delivered === 1,
      10_000,
      'one member picked it up',
    );
    expect(await findMessage(alice.engine, conv, sent.id)).toMatchObject({
      state: 'stored',
      fanout: { delivered: 1, stored: 1, total: 2 },
    });

    const carolBack = startEngine(server.url, carol.profile);
    await carolBack.login('carol', PASSWORD);
    const done = await waitForState(alice.engine, conv, sent.id, ['delivered'], 10_000);
    expect(done.fanout).toEqual({ delivered: 2, stored: 0, total: 2 });
  });
});
