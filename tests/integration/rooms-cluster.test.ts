/**
 * Rooms across two real server processes on one PostgreSQL database and one Redis: a room opened
 * on one node is listed and joined on the other with the same counts, the members on both nodes
 * hear the join, the member cap holds for joins racing on both nodes, and a user's join budget is
 * one budget wherever they connect (the counters live in Redis).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Ack } from '../../shared/errors.ts';
import { startMain, type RunningServer } from '../helpers/process.ts';
import {
  call,
  closeAllSockets,
  connectSocket,
  eventually,
  freshDatabase,
  next,
  register,
  type ClientSocket,
  type TestDatabase,
} from '../helpers/server.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function ok<T>(res: Ack<T>): T {
  if (!res.ok) throw new Error(`expected ok, got ${res.error.code}: ${res.error.message}`);
  return res.data;
}

describe('rooms on two nodes (PostgreSQL and Redis)', () => {
  let database: TestDatabase;
  let node1: RunningServer;
  let node2: RunningServer;
  let serial = 0;

  beforeAll(async () => {
    database = await freshDatabase('postgres');
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_PREFIX: `p2sp-test-${randomUUID()}`,
      CLUSTER_HEARTBEAT_MS: '300',
      GROUP_MEMBERS_MAX: '4',
      RATE_ROOM_JOINS_PER_USER: '3',
      RATE_ROOM_LISTS_PER_USER: '1000',
      PING_INTERVAL_MS: '1000',
      PING_TIMEOUT_MS: '1000',
    };
    node1 = await startMain(env);
    node2 = await startMain(env);
  });
  afterAll(async () => {
    closeAllSockets();
    await Promise.all([node1?.stop(), node2?.stop()]);
    await database?.drop();
  });
  afterEach(() => closeAllSockets());

  async function person(node: RunningServer, prefix: string) {
    const auth = await register(node.url, `${prefix}${++serial}`);
    return { name: auth.user.username, socket: await connectSocket(node.url, auth.token) };
  }
  async function openRoom(owner: { socket: ClientSocket }, name: string) {
    const group = ok(await call(owner.socket, 'groups:create', { name }));
    ok(await call(owner.socket, 'rooms:setPublic', { groupId: group.id, public: true }));
    return group;
  }

  it('a room opened on one node is listed and joined on the other', async () => {
    const owner = await person(node1, 'own');
    const visitor = await person(node2, 'vis');
    const room = await openRoom(owner, `Square ${serial}`);
    // The owner's presence reaches node 2 through the cluster: the count there says 1 online.
    await eventually(async () => {
      const { rooms } = ok(await call(visitor.socket, 'rooms:list', { query: room.name }));
      return rooms[0]?.online === 1;
    });
    const joined = next(owner.socket, 'groups:memberChanged');
    expect(ok(await call(visitor.socket, 'rooms:join', { groupId: room.id }))).toMatchObject({
      id: room.id,
      public: true,
      total: 2,
      online: 2,
    });
    expect(await joined).toEqual({
      groupId: room.id,
      username: visitor.name,
      change: 'joined',
      role: 'member',
      by: visitor.name,
    });
    // Room-mates on two nodes reach each other through the relay.
    const signal = next(owner.socket, 'signal');
    ok(await call(visitor.socket, 'signal:send', { to: owner.name, signal: { type: 'offer' } }));
    expect(await signal).toEqual({ from: visitor.name, signal: { type: 'offer' } });
    expect(ok(await call(owner.socket, 'rooms:list', { query: room.name })).rooms[0]).toMatchObject(
      { online: 2, total: 2, member: true },
    );
  });

  it('the member cap holds for joins racing on both nodes', async () => {
    const owner = await person(node1, 'cap');
    const room = await openRoom(owner, `Kiosk ${serial}`);
    const people = await Promise.all(
      [node1, node2, node1, node2, node1, node2].map((n) => person(n, 'racer')),
    );
    const answers = await Promise.all(
      people.map((p) => call(p.socket, 'rooms:join', { groupId: room.id })),
    );
    expect(answers.filter((a) => a.ok)).toHaveLength(3);
    for (const a of answers.filter((a) => !a.ok))
      expect(a).toMatchObject({ ok: false, error: { code: 'GROUP_FULL' } });
    expect(ok(await call(owner.socket, 'groups:members', { groupId: room.id }))).toHaveLength(4);
  });

  it("one user's join budget is shared by both nodes", async () => {
    const owner = await person(node1, 'bud');
    const rooms = [];
    for (let i = 0; i < 4; i++) rooms.push(await openRoom(owner, `Stand ${serial}-${i}`));
    const auth = await register(node1.url, `joiner${++serial}`);
    const on1 = await connectSocket(node1.url, auth.token);
    ok(await call(on1, 'rooms:join', { groupId: rooms[0]!.id }));
    ok(await call(on1, 'rooms:join', { groupId: rooms[1]!.id }));
    on1.close();
    const on2 = await connectSocket(node2.url, auth.token);
    ok(await call(on2, 'rooms:join', { groupId: rooms[2]!.id }));
    expect(await call(on2, 'rooms:join', { groupId: rooms[3]!.id })).toMatchObject({
      ok: false,
      error: { code: 'RATE_LIMITED' },
    });
  });
});
