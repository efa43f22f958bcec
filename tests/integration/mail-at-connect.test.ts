/**
 * Mail waiting at connect: a client that connects while its mailbox holds messages is told so,
 * with the total, right after `session:ready`; one with an empty mailbox is not. Raw Socket.IO
 * clients, no engine.
 */
import { io as connect } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerToClient } from '../../shared/events.ts';
import {
  DIALECTS,
  call,
  closeAllSockets,
  login,
  user,
  type ClientSocket,
  type TestServer,
} from '../helpers/server.ts';
import { befriend, offlineUser, ok, settle, sharedServer, uname } from '../helpers/social.ts';

type Seen = [keyof ServerToClient, unknown];

/** Connects with listeners in place before the handshake, so nothing the server sends is missed. */
async function connectWatching(url: string, token: string) {
  const socket: ClientSocket = connect(url, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const seen: Seen[] = [];
  socket.on('session:ready', () => seen.push(['session:ready', null]));
  socket.on('offline:available', (data) => seen.push(['offline:available', data]));
  await new Promise<void>((resolve, reject) => {
    socket.once('session:ready', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, seen };
}

describe.each(DIALECTS)('offline:available at connect (%s)', (dialect) => {
  let server: TestServer;
  sharedServer(dialect, (s) => {
    server = s;
  });
  const opened: ClientSocket[] = [];
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
    closeAllSockets();
  });

  const store = async (from: { socket: ClientSocket }, id: string, to: string) =>
    ok(
      await call(from.socket, 'offline:store', { id, to: { username: to }, payload: `body ${id}` }),
    );

  it('tells a client connecting with mail waiting, with the total, right after session:ready', async () => {
    const ann = await user(server.url, uname('ann'));
    const bob = await user(server.url, uname('bob'));
    await befriend(ann, bob);
    bob.socket.close();
    await store(ann, 'm1', bob.username);
    await store(ann, 'm2', bob.username);
    await store(ann, 'm2', bob.username); // the same id again is one message
    await store(ann, 'm3', bob.username);

    const { token } = await login(server.url, bob.username);
    const back = await connectWatching(server.url, token);
    opened.push(back.socket);
    await settle(back.socket);
    expect(back.seen).toEqual([
      ['session:ready', null],
      ['offline:available', { count: 3 }],
    ]);
    const pulled = ok(await call(back.socket, 'offline:pull', {}));
    expect(pulled.messages.map((m) => m.id)).toEqual(['m1', 'm2', 'm3']);
  });

  it('says nothing at connect when the mailbox is empty', async () => {
    const cat = await offlineUser(server.url, uname('cat'));
    const first = await connectWatching(server.url, cat.token);
    opened.push(first.socket);
    await settle(first.socket);
    expect(first.seen).toEqual([['session:ready', null]]);
  });
});
