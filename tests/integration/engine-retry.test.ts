/**
 * Retry and delete of a failed message (issue 12), engine to engine over the real server and real
 * WebRTC. A message fails while its recipient is away and the server does not answer the store in
 * time (it stores the copy after the sender gave up); retried once the server answers again, it
 * goes out with the same id, so the store and the recipient keep one copy and the sender sees it
 * delivered. Delete removes a failed message from the local history (and its search) only. Wrong
 * uses are refused with a clear error and change nothing.
 */
import { describe, expect, it } from 'vitest';
import type { ChatEngine } from '../../web/src/core/api.ts';
import {
  befriend,
  findMessage,
  restartOnSamePort,
  serverPerTest,
  signedIn,
  startEngine,
  waitForState,
} from '../helpers/engine.ts';
import { eventually, sleep, type TestServer } from '../helpers/server.ts';

let server: TestServer;
serverPerTest(
  (s) => (server = s),
  () => server,
);

const PASSWORD = 'correct horse battery';
/** The engine gives up on a server request after this long. */
const REQUEST_MS = 1_500;

/**
 * From now on, every `offline:store` reaching the server is held for longer than the client
 * waits (the server still stores it afterwards: the answer is what is lost), until `release`.
 */
function slowStore(target: TestServer) {
  let slow = true;
  // Wrapped at the service: Socket.IO hands events to the server's any-listener before middleware.
  const offline = target.app.services.offline;
  const store = offline.store.bind(offline);
  offline.store = async (...args: Parameters<typeof store>) => {
    if (slow) await sleep(REQUEST_MS + 1_000);
    return store(...args);
  };
  return { release: () => (slow = false) };
}

async function goAway(engine: ChatEngine) {
  const id = engine.session.user?.id ?? 0;
  await engine.destroy();
  await eventually(() => !server.app.presence.isOnline(id), 5_000, 'offline');
}

const storedCopies = (msgId: string) =>
  server.app.store.db
    .selectFrom('offline_messages')
    .selectAll()
    .where('msg_id', '=', msgId)
    .execute();

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: { wire?: { code: string } }) => e.wire?.code ?? String(e),
  );

describe('retry and delete of a failed message', () => {
  it('a message failed while the peer was away and the server silent is delivered once after a retry', async () => {
    const store = slowStore(server);
    const alice = await signedIn(server.url, 'alice', { requestTimeoutMs: REQUEST_MS });
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);
    await goAway(bob.engine);

    const sent = await alice.engine.sendPrivate('bob', '重要的消息 important');
    const failed = await waitForState(alice.engine, 'u:bob', sent.id, ['failed', 'stored'], 15_000);
    expect(failed.state).toBe('failed');
    // Kept as the error's code (worded when shown), not as a sentence.
    expect(failed.failure).toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/did not answer/),
    });
    expect(failed.error).toBeUndefined();
    // The server did store it, late: the first try arrived after all.
    await eventually(async () => (await storedCopies(sent.id)).length === 1, 5_000, 'late copy');

    store.release();
    const requeued = await alice.engine.retryMessage('u:bob', sent.id);
    expect(requeued).toMatchObject({ id: sent.id, sentAt: sent.sentAt, state: 'sending' });
    expect(requeued.failure).toBeUndefined();
    const stored = await waitForState(alice.engine, 'u:bob', sent.id, ['stored', 'failed'], 15_000);
    expect(stored.state).toBe('stored');
    expect(stored.failure).toBeUndefined();
    // Same id: the store kept one copy, not two.
    expect(await storedCopies(sent.id)).toHaveLength(1);

    const bobBack = startEngine(server.url, bob.profile);
    await bobBack.login('bob', PASSWORD);
    await eventually(
      async () => (await findMessage(bobBack, 'u:alice', sent.id)) !== undefined,
      10_000,
      'bob receives',
    );
    await waitForState(alice.engine, 'u:bob', sent.id, ['delivered'], 10_000);
    await sleep(500);
    const bobs = (await bobBack.history('u:alice')).filter((m) => m.id === sent.id);
    expect(bobs).toHaveLength(1);
    expect(bobs[0]?.text).toBe('重要的消息 important');
    // Once delivered it is no longer failed: neither retried nor deleted again.
    expect(await code(alice.engine.retryMessage('u:bob', sent.id))).toBe('BAD_REQUEST');
    expect(await code(alice.engine.deleteMessage('u:bob', sent.id))).toBe('BAD_REQUEST');
  }, 90_000);

  it('a retry while the server is down waits in the outbox and goes out when it is back', async () => {
    const store = slowStore(server);
    const alice = await signedIn(server.url, 'alice', { requestTimeoutMs: REQUEST_MS });
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);
    await goAway(bob.engine);
    const sent = await alice.engine.sendPrivate('bob', 'try again later');
    await waitForState(alice.engine, 'u:bob', sent.id, ['failed'], 15_000);
    store.release();

    await server.stop();
    await eventually(() => alice.engine.session.phase !== 'ready', 5_000, 'alice notices');
    const requeued = await alice.engine.retryMessage('u:bob', sent.id);
    expect(requeued.state).toBe('sending');
    await sleep(REQUEST_MS);
    expect((await findMessage(alice.engine, 'u:bob', sent.id))?.state).toBe('sending');

    server = await restartOnSamePort(server);
    const stored = await waitForState(alice.engine, 'u:bob', sent.id, ['stored', 'failed'], 30_000);
    expect(stored.state).toBe('stored');
    expect(await storedCopies(sent.id)).toHaveLength(1);
  }, 90_000);

  it('delete removes a failed message from local history and its search; wrong uses are refused', async () => {
    const store = slowStore(server);
    const alice = await signedIn(server.url, 'alice', { requestTimeoutMs: REQUEST_MS });
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);

    // Bob's message to alice, delivered directly: hers to read, not to retry or delete.
    const fromBob = await bob.engine.sendPrivate('alice', 'hello from bob');
    await waitForState(bob.engine, 'u:alice', fromBob.id, ['delivered']);
    await eventually(
      async () => (await findMessage(alice.engine, 'u:bob', fromBob.id)) !== undefined,
    );
    expect(await code(alice.engine.retryMessage('u:bob', fromBob.id))).toBe('FORBIDDEN');
    expect(await code(alice.engine.deleteMessage('u:bob', fromBob.id))).toBe('FORBIDDEN');

    await goAway(bob.engine);
    const doomed = await alice.engine.sendPrivate('bob', '删除这条 doomed');
    await waitForState(alice.engine, 'u:bob', doomed.id, ['failed'], 15_000);
    expect((await alice.engine.searchHistory('删除')).hits.map((h) => h.message.id)).toEqual([
      doomed.id,
    ]);

    expect(await code(alice.engine.retryMessage('u:bob', 'no-such-id'))).toBe('NOT_FOUND');
    expect(await code(alice.engine.deleteMessage('u:bob', 'no-such-id'))).toBe('NOT_FOUND');
    // The right id in another conversation is not found there.
    expect(await code(alice.engine.deleteMessage('u:carol', doomed.id))).toBe('NOT_FOUND');
    expect((await findMessage(alice.engine, 'u:bob', doomed.id))?.state).toBe('failed');

    const events: string[] = [];
    alice.engine.on((e) => {
      if (e.type === 'conversations') events.push(e.conversations[0]?.lastMessage?.id ?? 'none');
    });
    await alice.engine.deleteMessage('u:bob', doomed.id);
    expect(await findMessage(alice.engine, 'u:bob', doomed.id)).toBeUndefined();
    expect((await alice.engine.searchHistory('删除')).hits).toEqual([]);
    // The conversation list previews what is left, and says so in an event.
    await eventually(() => events.at(-1) === fromBob.id, 2_000, 'preview event');
    expect((await alice.engine.conversations())[0]?.lastMessage?.id).toBe(fromBob.id);
    // Gone: a second delete or a retry finds nothing; the store never had it answered.
    expect(await code(alice.engine.deleteMessage('u:bob', doomed.id))).toBe('NOT_FOUND');
    expect(await code(alice.engine.retryMessage('u:bob', doomed.id))).toBe('NOT_FOUND');

    // Two retries at once: the second is refused while the first is on its way.
    const twice = await alice.engine.sendPrivate('bob', 'twice?');
    await waitForState(alice.engine, 'u:bob', twice.id, ['failed'], 15_000);
    store.release();
    const both = await Promise.all([
      code(alice.engine.retryMessage('u:bob', twice.id)),
      code(alice.engine.retryMessage('u:bob', twice.id)),
    ]);
    expect(both).toEqual(['resolved', 'BAD_REQUEST']);
    expect(await code(alice.engine.deleteMessage('u:bob', twice.id))).toBe('BAD_REQUEST');
    await waitForState(alice.engine, 'u:bob', twice.id, ['stored'], 15_000);
    expect(await storedCopies(twice.id)).toHaveLength(1);
  }, 90_000);
});
