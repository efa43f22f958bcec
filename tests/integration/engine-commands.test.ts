/** The command language through a real engine and server. */
import { expect, it } from 'vitest';
import type { IDBFactory } from 'fake-indexeddb';
import { befriend, serverPerTest, signedIn, startEngine } from '../helpers/engine.ts';
import { eventually, sleep, type TestServer } from '../helpers/server.ts';

let server: TestServer;

serverPerTest(
  (s) => (server = s),
  () => server,
);

it('maps commands to engine calls and answers in readable lines', async () => {
  const alice = startEngine(server.url);
  expect(await alice.runCommand('reg alice "correct horse battery"')).toEqual({
    ok: true,
    lines: ['registered and signed in as alice'],
  });
  const bob = await signedIn(server.url, 'bob');
  const carol = await signedIn(server.url, 'carol');

  expect(await alice.runCommand('add bob')).toEqual({
    ok: true,
    lines: ['friend request sent to bob'],
  });
  await eventually(() => bob.engine.social.incoming.includes('alice'));
  expect((await bob.engine.runCommand('/accept alice')).ok).toBe(true);
  await eventually(() => alice.social.friends.length === 1);
  expect(await alice.runCommand('friends')).toEqual({ ok: true, lines: ['bob (online)'] });

  expect((await alice.runCommand('newgroup crew')).ok).toBe(true);
  expect(await alice.runCommand('addgroupuser 1 bob')).toEqual({
    ok: true,
    lines: ['invited bob to crew; they join when they accept'],
  });
  expect((await alice.runCommand('addgroupuser 1 carol')).ok).toBe(true);
  // Invited is not joined: the invitees say yes with the command language, by number or by name.
  await eventually(() => bob.engine.social.invitations.length === 1);
  expect(await bob.engine.runCommand('groups')).toEqual({
    ok: true,
    lines: [
      'no groups yet; create one with: newgroup <name>',
      'invitations (acceptgroup <n> or declinegroup <n>):',
      '1. crew (creator alice), invited by alice',
    ],
  });
  expect(await bob.engine.runCommand('acceptgroup 1')).toMatchObject({
    ok: true,
    lines: ['joined crew'],
  });
  await eventually(() => carol.engine.social.invitations.length === 1);
  expect((await carol.engine.runCommand('acceptgroup Crew')).ok).toBe(true);
  expect(await carol.engine.runCommand('declinegroup crew')).toEqual({
    ok: false,
    message: 'no invitation to "crew"; type "groups" to list yours',
  });
  await carol.engine.logout();
  await eventually(
    async () => (await alice.runCommand('groups')).ok && alice.social.groups[0]?.online === 2,
  );
  expect(await alice.runCommand('groups')).toEqual({
    ok: true,
    lines: ['1. crew (creator alice) 2/3 online'],
  });

  const sent = await alice.runCommand('send bob hello   there');
  expect(sent).toEqual({ ok: true, lines: ['delivered to bob'], openConversation: 'u:bob' });
  expect((await bob.engine.history('u:alice')).map((m) => m.text)).toEqual(['hello   there']);

  const group = await alice.runCommand('sendgroup 1 hi all');
  expect(group).toMatchObject({
    ok: true,
    lines: [
      'stored on the server for crew; delivered when they sign in (1 direct, 1 stored, of 2)',
    ],
  });

  expect(await alice.runCommand('sendgroup 9 hi')).toEqual({
    ok: false,
    message: 'no group number 9; type "groups" to list yours',
  });
  expect(await alice.runCommand('add')).toMatchObject({ ok: false, usage: 'add <username>' });
  expect(await alice.runCommand('frends')).toMatchObject({
    ok: false,
    message: expect.stringContaining('Did you mean "friends"'),
  });
  expect(await alice.runCommand('allusers')).toMatchObject({
    ok: false,
    message: 'You are not allowed to do that.',
  });
  expect(await alice.runCommand('help add')).toEqual({
    ok: true,
    lines: ['usage: add <username>', 'Send a friend request to a user.'],
  });
  expect(await alice.runCommand('logout')).toEqual({ ok: true, lines: ['signed out'] });
  expect(alice.session.phase).toBe('signed-out');
});

/**
 * A reader over every store of a database, held until `release()` is true, as the terminal's save
 * of its history file holds one (terminal/idb-file.ts): writes to those stores wait behind it.
 */
async function holdReader(factory: IDBFactory, name: string, release: () => boolean) {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = factory.open(name);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error ?? new Error(`cannot open ${name}`));
  });
  const names = [...db.objectStoreNames];
  const tx = db.transaction(names, 'readonly');
  const store = tx.objectStore(names[0] ?? '');
  // A transaction lives while it has requests: one more each time the last one answers.
  const spin = () => {
    if (!release()) store.count().onsuccess = spin;
  };
  spin();
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('reader aborted'));
  });
  db.close();
}

// Seen in the terminal under load: the outcome line never came, the command said "sending".
it('send says delivered when the ack came in before the message row committed', async () => {
  const alice = await signedIn(server.url, 'alice');
  const bob = await signedIn(server.url, 'bob');
  await befriend(alice.engine, bob.engine);
  // An open channel, so the next ack is back in milliseconds.
  expect(await bob.engine.runCommand('send alice first')).toMatchObject({
    lines: ['delivered to alice'],
  });

  let release = false;
  const reader = holdReader(bob.profile.indexedDB, 'p2sp-bob', () => release);
  const sent = bob.engine.runCommand('send alice behind a reader');
  // The frame went out while bob's row waits behind the reader; alice has it and acks.
  await eventually(
    async () => (await alice.engine.history('u:bob')).some((m) => m.text === 'behind a reader'),
    10_000,
    'alice to have the message',
  );
  await sleep(500); // the ack's way back to bob (a loopback data channel)
  release = true;
  await reader;
  expect(await sent).toEqual({
    ok: true,
    lines: ['delivered to alice'],
    openConversation: 'u:alice',
  });
});

// Issue 10: `add Bob` when `bob` asked first makes the two friends; the answer must say so.
it('add with another spelling of a user who asked first answers that the two are friends', async () => {
  const bob = await signedIn(server.url, 'bob');
  const alice = await signedIn(server.url, 'alice');
  expect((await bob.engine.runCommand('add alice')).ok).toBe(true);
  await eventually(() => alice.engine.social.incoming.includes('bob'));

  expect(await alice.engine.runCommand('add Bob')).toEqual({
    ok: true,
    lines: ['you and bob are now friends'],
  });
  expect(alice.engine.social.friends.map((f) => f.username)).toEqual(['bob']);
  expect(alice.engine.social.incoming).toEqual([]);
  // A full-width spelling from a Chinese IME names the same user.
  expect(await alice.engine.runCommand('add ｂｏｂ')).toEqual({
    ok: false,
    message: 'You are friends already.',
  });
});

it('blockgroup and unblockgroup name the group by name and creator; the admin view names it by id', async () => {
  const bob = await signedIn(server.url, 'bob');
  const group = await bob.engine.createGroup('crew');
  const root = await signedIn(server.url, 'root');
  // The server's admin gate reads the database on every call, so this session may act at once.
  await server.app.services.auth.setAdmin('root', true);
  const blockedNow = async () => (await server.app.services.groups.byId(group.id)).blocked === 1;

  expect(await root.engine.runCommand('blockgroup Crew bob')).toEqual({
    ok: true,
    lines: ['Crew (creator bob) is blocked'],
  });
  expect(await blockedNow()).toBe(true);
  expect(await root.engine.runCommand('unblockgroup crew bob')).toEqual({
    ok: true,
    lines: ['crew (creator bob) is unblocked'],
  });
  expect(await blockedNow()).toBe(false);
  expect(await root.engine.runCommand('blockgroup crew nobody')).toEqual({
    ok: false,
    message: 'There is no group “crew” created by nobody.',
  });

  await root.engine.admin.setGroupBlocked({ groupId: group.id }, true);
  expect(await blockedNow()).toBe(true);
  await root.engine.admin.setGroupBlocked({ groupId: group.id }, false);
  expect(await blockedNow()).toBe(false);
  await expect(
    root.engine.admin.setGroupBlocked({ groupId: group.id + 1_000 }, true),
  ).rejects.toMatchObject({ wire: { code: 'NOT_FOUND', details: { groupId: group.id + 1_000 } } });
});

// --- leavegroup names the new owner (issue 12) ---
it('leavegroup says who owns the group now, or that it went with its last member (en and zh)', async () => {
  const alice = await signedIn(server.url, 'alice');
  const bob = await signedIn(server.url, 'bob');
  const group = await alice.engine.createGroup('crew');
  await alice.engine.inviteToGroup(group.id, 'bob');
  await eventually(() => bob.engine.social.invitations.length === 1);
  await bob.engine.respondGroupInvite(group.id, true);
  await eventually(() => alice.engine.social.groups.some((g) => g.id === group.id));

  expect(await alice.engine.runCommand('leavegroup crew')).toEqual({
    ok: true,
    lines: ['left crew; bob owns it now'],
  });
  // The server answered alice with who inherited it: bob, the only one left.
  expect((await bob.engine.groupMembers(group.id)).map((m) => [m.username, m.role])).toEqual([
    ['bob', 'owner'],
  ]);
  expect(await bob.engine.runCommand('leavegroup crew', { lang: 'zh' })).toEqual({
    ok: true,
    lines: ['已退出 crew；你是最后一名成员，群组已随之删除'],
  });

  const other = await alice.engine.createGroup('小组');
  await alice.engine.inviteToGroup(other.id, 'bob');
  await eventually(() => bob.engine.social.invitations.length === 1);
  await bob.engine.respondGroupInvite(other.id, true);
  await eventually(() => alice.engine.social.groups.some((g) => g.id === other.id));
  expect(await alice.engine.runCommand('leavegroup 小组', { lang: 'zh' })).toEqual({
    ok: true,
    lines: ['已退出 小组；现在由 bob 担任群主'],
  });
}, 60_000);

// --- a server's refusal in the caller's language (issue 12) ---
it("words the server's refusal from its code in the caller's language, and a command's own failure as it was worded", async () => {
  const alice = await signedIn(server.url, 'alice');
  const nobody = 'nobody-here';
  // The server answers NOT_FOUND with the username in its details: a sentence from the code and
  // details in English…
  expect(await alice.engine.runCommand(`add ${nobody}`)).toEqual({
    ok: false,
    message: `There is no user named “${nobody}”.`,
  });
  // …and in Chinese, never the server's own words.
  expect(await alice.engine.runCommand(`add ${nobody}`, { lang: 'zh' })).toEqual({
    ok: false,
    message: `找不到用户“${nobody}”。`,
  });
  // The command's own failure is already in the caller's language and stays as it was worded.
  const own = await alice.engine.runCommand('delgroup 99', { lang: 'zh' });
  expect(own.ok === false && own.message).toMatch(/99/);
  expect(own.ok === false && own.message).not.toBe('找不到对应的用户、群组或请求。');
}, 30_000);
