/**
 * Delivery receipts for stored messages (issue 12): a sender hears that a stored message was picked
 * up when its recipient acknowledges it, live or at the next sign-in, with the id, who and when and
 * nothing else; nobody can make a receipt for a message they were not sent; a sender keeps at most
 * LIMITS.receiptsPerSenderMax; bad input changes nothing. On SQLite and PostgreSQL.
 */
import { io as connect } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/limits.ts';
import {
  DIALECTS,
  call,
  collect,
  login,
  next,
  type ClientSocket,
  type TestServer,
  user,
} from '../helpers/server.ts';
import {
  befriend,
  comeBack,
  expectError,
  goOffline,
  makeGroup,
  ok,
  settle,
  uname,
  sharedServer,
  type Person,
} from '../helpers/social.ts';

const store = (from: Person, id: string, to: string) =>
  call(from.socket, 'offline:store', { id, to: { username: to }, payload: `sealed ${id}` });
const pullAndAck = async (s: ClientSocket) => {
  const { messages } = ok(await call(s, 'offline:pull', {}));
  return ok(await call(s, 'offline:ack', { ids: messages.map((m) => m.id) }));
};
const receiptRows = (server: TestServer) =>
  server.app.store.db.selectFrom('receipts').selectAll().execute();

describe.each(DIALECTS)('delivery receipts (%s)', (dialect) => {
  let server: TestServer;
  sharedServer(dialect, (s) => {
    server = s;
  });

  async function friendsApart() {
    const a = await user(server.url, uname('ann'));
    const b = await user(server.url, uname('bob'));
    await befriend(a, b);
    await goOffline(server, b);
    return { a, b };
  }

  it('tells an online sender live when the recipient picks a stored message up', async () => {
    const { a, b } = await friendsApart();
    ok(await store(a, 'r-1', b.username));
    const receipt = next(a.socket, 'receipts:delivered');
    const before = Date.now();
    const back = await comeBack(server.url, b.username);
    expect(await pullAndAck(back.socket)).toEqual({ deleted: 1 });
    const { receipts } = await receipt;
    expect(receipts).toEqual([{ id: 'r-1', to: b.username, at: expect.any(Number) }]);
    // Nothing but id, recipient and time: the sealed payload is nowhere in it.
    expect(JSON.stringify(receipts)).not.toContain('sealed');
    expect(receipts[0]!.at).toBeGreaterThanOrEqual(before - 1);
    // Kept until the sender acknowledges it, then gone.
    expect(ok(await call(a.socket, 'receipts:pull', {})).receipts.map((r) => r.id)).toEqual([
      'r-1',
    ]);
    expect(
      ok(await call(a.socket, 'receipts:ack', { receipts: [{ id: 'r-1', to: b.username }] })),
    ).toEqual({ deleted: 1 });
    expect(ok(await call(a.socket, 'receipts:pull', {}))).toEqual({ receipts: [], more: false });
  });

  it('keeps the receipt for a sender who is offline at pickup and announces it at sign-in', async () => {
    const { a, b } = await friendsApart();
    ok(await store(a, 'r-2', b.username));
    ok(await store(a, 'r-3', b.username));
    await goOffline(server, a);
    const back = await comeBack(server.url, b.username);
    expect(await pullAndAck(back.socket)).toEqual({ deleted: 2 });

    const auth = await login(server.url, a.username);
    // The announcement comes right behind session:ready: listen from before the connect.
    const s: ClientSocket = connect(server.url, {
      auth: { token: auth.token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const announced = next(s, 'receipts:available');
    await next(s, 'session:ready');
    expect(await announced).toEqual({ count: 2 });
    const { receipts, more } = ok(await call(s, 'receipts:pull', {}));
    // Not one of the helpers' sockets: closed here, so the next test starts with nobody online.
    s.close();
    expect(more).toBe(false);
    expect(receipts.map((r) => [r.id, r.to])).toEqual([
      ['r-2', b.username],
      ['r-3', b.username],
    ]);
  });

  it('a stranger cannot make a receipt for someone else’s message, and a receipt is only the sender’s to take', async () => {
    const { a, b } = await friendsApart();
    const mallory = await user(server.url, uname('mal'));
    ok(await store(a, 'r-4', b.username));
    const told = collect(a.socket, 'receipts:delivered');
    // Mallory acks Bob's message id: it is not in her mailbox, so nothing is deleted or told.
    expect(ok(await call(mallory.socket, 'offline:ack', { ids: ['r-4'] }))).toEqual({
      deleted: 0,
    });
    await settle(a.socket);
    expect(told).toEqual([]);
    expect(await server.app.services.offline.waiting(b.user.id)).toBe(1);

    const back = await comeBack(server.url, b.username);
    const delivered = next(a.socket, 'receipts:delivered');
    await pullAndAck(back.socket);
    await delivered;
    // Mallory (and Bob) cannot ack away Ann's receipt, or read it.
    for (const who of [mallory.socket, back.socket]) {
      expect(
        ok(await call(who, 'receipts:ack', { receipts: [{ id: 'r-4', to: b.username }] })),
      ).toEqual({ deleted: 0 });
      expect(ok(await call(who, 'receipts:pull', {})).receipts).toEqual([]);
    }
    // Acking the same message a second time makes no second receipt.
    expect(ok(await call(back.socket, 'offline:ack', { ids: ['r-4'] }))).toEqual({ deleted: 0 });
    expect(ok(await call(a.socket, 'receipts:pull', {})).receipts).toHaveLength(1);
  });

  it('names the member who picked up a group message, once per member', async () => {
    const a = await user(server.url, uname('own'));
    const b = await user(server.url, uname('mb'));
    const c = await user(server.url, uname('mc'));
    const group = await makeGroup(a, uname('grp'), [b, c]);
    await goOffline(server, b);
    await goOffline(server, c);
    ok(
      await call(a.socket, 'offline:store', { id: 'g-1', to: { groupId: group.id }, payload: 'x' }),
    );
    const first = next(a.socket, 'receipts:delivered');
    const bBack = await comeBack(server.url, b.username);
    await pullAndAck(bBack.socket);
    expect((await first).receipts).toEqual([{ id: 'g-1', to: b.username, at: expect.any(Number) }]);
    const second = next(a.socket, 'receipts:delivered');
    const cBack = await comeBack(server.url, c.username);
    await pullAndAck(cBack.socket);
    expect((await second).receipts).toEqual([
      { id: 'g-1', to: c.username, at: expect.any(Number) },
    ]);
    // An ack of one pair takes that pair alone.
    expect(
      ok(await call(a.socket, 'receipts:ack', { receipts: [{ id: 'g-1', to: b.username }] })),
    ).toEqual({ deleted: 1 });
    expect(ok(await call(a.socket, 'receipts:pull', {})).receipts.map((r) => r.to)).toEqual([
      c.username,
    ]);
  });

  it('gives an administrator no receipt for a system message', async () => {
    const { a, b } = await friendsApart();
    await server.app.services.auth.setAdmin(a.username, true);
    const admin = await comeBack(server.url, a.username);
    ok(await call(admin.socket, 'admin:sendUser', { username: b.username, text: 'notice' }));
    const told = collect(admin.socket, 'receipts:delivered');
    const back = await comeBack(server.url, b.username);
    expect(await pullAndAck(back.socket)).toEqual({ deleted: 1 });
    await settle(admin.socket);
    expect(told).toEqual([]);
    expect(ok(await call(admin.socket, 'receipts:pull', {})).receipts).toEqual([]);
  });

  it('keeps at most LIMITS.receiptsPerSenderMax per sender, dropping the oldest', async () => {
    const { a, b } = await friendsApart();
    const rows = await receiptRows(server);
    const cap = LIMITS.receiptsPerSenderMax;
    // `cap + 5` stored messages picked up in two acks (the first five before the rest are stored,
    // so the sender's mailbox share never refuses one). Within one ack the order is the
    // database's; across acks, the earlier pickups are the older receipts.
    const ids = Array.from({ length: cap + 5 }, (_, i) => `c-${i}`);
    const recipient = { id: b.user.id, username: b.username };
    for (const batch of [ids.slice(0, 5), ids.slice(5)]) {
      for (let i = 0; i < batch.length; i += LIMITS.ackBatchMax) {
        const items = batch
          .slice(i, i + LIMITS.ackBatchMax)
          .map((id) => ({ id, to: { username: b.username }, payload: 'x' }));
        const { results } = ok(await call(a.socket, 'offline:storeMany', { items }));
        expect(results.every((r) => r.ok)).toBe(true);
      }
      expect(await server.app.services.offline.ack(recipient, batch)).toEqual({
        deleted: batch.length,
      });
    }
    const mine = (await receiptRows(server)).filter((r) => Number(r.sender_id) === a.user.id);
    expect(mine).toHaveLength(cap);
    expect(mine.map((r) => r.msg_id).sort()).toEqual(ids.slice(5).sort());
    // Other senders' receipts are untouched.
    expect((await receiptRows(server)).length - mine.length).toBe(rows.length);
    const page = ok(await call(a.socket, 'receipts:pull', { limit: 10 }));
    expect(page.more).toBe(true);
    expect(page.receipts).toHaveLength(10);
    for (const r of page.receipts) expect(ids.slice(5)).toContain(r.id);
  });

  it('refuses bad receipts input with BAD_REQUEST and changes nothing', async () => {
    const { a, b } = await friendsApart();
    ok(await store(a, 'r-5', b.username));
    const delivered = next(a.socket, 'receipts:delivered');
    const back = await comeBack(server.url, b.username);
    await pullAndAck(back.socket);
    await delivered;
    for (const bad of [
      {},
      { receipts: [] },
      { receipts: [{ id: 'r 5', to: b.username }] },
      { receipts: [{ id: 'r-5', to: 7 }] },
    ]) {
      expectError(await call(a.socket, 'receipts:ack', bad as never), 'BAD_REQUEST');
    }
    expectError(await call(a.socket, 'receipts:pull', { limit: 0 }), 'BAD_REQUEST');
    expect(ok(await call(a.socket, 'receipts:pull', {})).receipts.map((r) => r.id)).toEqual([
      'r-5',
    ]);
  });
});
