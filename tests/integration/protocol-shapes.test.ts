/**
 * The shapes PROTOCOL.md states for `friends:added`, `groups:create`'s ack, `keys:changed` and
 * `keys:restore`'s ack, against what a real server sends: no field more, none less.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DIALECTS,
  call,
  closeAllSockets,
  next,
  startServer,
  user,
  type TestServer,
} from '../helpers/server.ts';
import { fields, row } from '../helpers/protocol-doc.ts';

describe.each(DIALECTS)('PROTOCOL.md shapes against the server (%s)', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect);
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => closeAllSockets());

  it('friends:added is { friend } with the fields the document lists', async () => {
    const ann = await user(server.url, 'shape_ann');
    const bob = await user(server.url, 'shape_bob');
    const added = next(ann.socket, 'friends:added');
    await call(ann.socket, 'friends:request', { username: bob.username });
    await call(bob.socket, 'friends:respond', { username: ann.username, accept: true });
    const data = await added;
    expect(Object.keys(data)).toEqual(['friend']);
    const documented = fields(row('### Server to client', 'friends:added')[1] ?? '');
    expect(Object.keys(data.friend).sort()).toEqual([...documented].sort());
  });

  it("groups:create's ack is the group with the fields the document lists", async () => {
    const owner = await user(server.url, 'shape_own');
    const res = await call(owner.socket, 'groups:create', { name: 'shapes' });
    if (!res.ok) throw new Error(res.error.message);
    const documented = fields(row('### Client to server', 'groups:create')[2] ?? '');
    expect(Object.keys(res.data).sort()).toEqual([...documented].sort());
  });

  it("keys:changed and keys:restore's ack have the fields the document lists", async () => {
    const ann = await user(server.url, 'shape_kann');
    const bob = await user(server.url, 'shape_kbob');
    await call(ann.socket, 'friends:request', { username: bob.username });
    await call(bob.socket, 'friends:respond', { username: ann.username, accept: true });
    const changed = next(bob.socket, 'keys:changed');
    await call(ann.socket, 'keys:publish', { publicKey: 'pk', backup: 'wrapped' });
    const documented = fields(row('### Server to client', 'keys:changed')[1] ?? '');
    expect(Object.keys(await changed).sort()).toEqual([...documented].sort());

    const res = await call(ann.socket, 'keys:restore', {});
    if (!res.ok) throw new Error(res.error.message);
    const restore = fields(row('### Client to server', 'keys:restore')[2] ?? '');
    expect(Object.keys(res.data).sort()).toEqual([...restore].sort());
  });
});
