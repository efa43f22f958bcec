/**
 * Social's cached group member lists (web/src/core/social.ts) over a fake server link whose
 * answers the test releases by hand: a presence or key change that arrives while a list is on its
 * way was not in the server's reading of it, and must not be lost when the list lands.
 */
import { describe, expect, it } from 'vitest';
import type { GroupMember } from '../../shared/events.ts';
import { Social } from '../../web/src/core/social.ts';
import type { ServerLink } from '../../web/src/core/session.ts';

type Handler = (payload: never) => void;

function fakeServer() {
  const handlers = new Map<string, Handler>();
  const pending: { event: string; resolve: (value: unknown) => void }[] = [];
  const link = {
    state: { phase: 'ready', user: { username: 'alice' } },
    connected: true,
    on: (event: string, handler: Handler) => void handlers.set(event, handler),
    request: (event: string) => new Promise((resolve) => pending.push({ event, resolve })),
  } as unknown as ServerLink;
  return {
    link,
    pending,
    tell: (event: string, payload: unknown) => handlers.get(event)?.(payload as never),
  };
}

const member = (username: string, status: GroupMember['status']): GroupMember => ({
  username,
  role: 'member',
  status,
  publicKey: `key-${username}`,
});

describe('group member lists', () => {
  it('a member who goes offline while the list is on its way shows offline, and stays so', async () => {
    const server = fakeServer();
    const social = new Social(server.link, { changed: () => undefined, presence: () => undefined });
    const reading = social.members(7);
    // The server read the list while carol was online; she leaves before it arrives.
    server.tell('presence:changed', { username: 'carol', status: 'offline' });
    server.tell('keys:changed', { username: 'bob', publicKey: 'key-bob-2' });
    server.pending[0]!.resolve([
      member('alice', 'online'),
      member('bob', 'online'),
      member('carol', 'online'),
    ]);
    const members = await reading;
    expect(members.find((m) => m.username === 'carol')?.status).toBe('offline');
    expect(members.find((m) => m.username === 'bob')?.publicKey).toBe('key-bob-2');
    // The cached copy is the patched one.
    const again = await social.members(7);
    expect(again.find((m) => m.username === 'carol')?.status).toBe('offline');
    expect(server.pending).toHaveLength(1);
  });

  it('a change before the list was asked for is the server reading, not patched over it', async () => {
    const server = fakeServer();
    const social = new Social(server.link, { changed: () => undefined, presence: () => undefined });
    server.tell('presence:changed', { username: 'carol', status: 'offline' });
    const reading = social.members(7);
    // She came back before the server read the list: its word stands.
    server.pending[0]!.resolve([member('alice', 'online'), member('carol', 'online')]);
    expect((await reading).find((m) => m.username === 'carol')?.status).toBe('online');
  });
});
