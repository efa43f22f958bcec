/** Group roles through a real engine and server: the owner's call and what members see. */
import { expect, it } from 'vitest';
import { EngineError } from '../../web/src/core/api.ts';
import { AppState } from '../../web/src/state/app.svelte.ts';
import { joinGroup, serverPerTest, signedIn, spyOnServer, startEngine } from '../helpers/engine.ts';
import { eventually, type TestServer } from '../helpers/server.ts';

let server: TestServer;

serverPerTest(
  (s) => (server = s),
  () => server,
);

it('the owner promotes and demotes; members see the role, others may not change it', async () => {
  const alice = await signedIn(server.url, 'alice');
  const bob = await signedIn(server.url, 'bob');
  const carol = await signedIn(server.url, 'carol');
  const group = await alice.engine.createGroup('crew');
  for (const p of [bob, carol]) await joinGroup(alice.engine, p.engine, group.id);
  const roleOf = async (username: string) =>
    (await carol.engine.groupMembers(group.id)).find((m) => m.username === username)?.role;

  await alice.engine.setGroupRole(group.id, 'bob', 'admin');
  await eventually(() => bob.engine.social.groups[0]?.role === 'admin');
  // Carol's list follows the server's role event, which may land a moment after Bob's.
  await eventually(async () => (await roleOf('bob')) === 'admin');

  const refused = await carol.engine.setGroupRole(group.id, 'bob', 'member').catch((e) => e);
  expect(refused).toBeInstanceOf(EngineError);
  expect((refused as EngineError).wire.code).toBe('FORBIDDEN');

  await alice.engine.setGroupRole(group.id, 'bob', 'member');
  await eventually(() => bob.engine.social.groups[0]?.role === 'member');
  await eventually(async () => (await roleOf('bob')) === 'member');
});

it('a presence change while a group is open costs one groups list and no member reads', async () => {
  const alice = await signedIn(server.url, 'alice');
  const bob = await signedIn(server.url, 'bob');
  const carol = await signedIn(server.url, 'carol');
  const group = await alice.engine.createGroup('crew');
  for (const p of [bob, carol]) await joinGroup(alice.engine, p.engine, group.id);
  // Alice comes back in a new tab, so no refresh of the setup is still pending.
  await alice.engine.destroy();
  const events = spyOnServer(server);
  const engine = startEngine(server.url, alice.profile);
  expect(await engine.resume()).toBe(true);
  const fromAlice = () =>
    events.filter((e) => e.user === 'alice' && e.direction === 'in').map((e) => e.event);
  await eventually(() => fromAlice().includes('offline:pull'), 5_000, 'sign-in done');
  const app = new AppState(engine);
  app.open(`g:${group.id}`);
  await eventually(() => app.active?.members?.length === 3, 5_000, 'members shown');
  const before = fromAlice().length;
  expect(fromAlice().filter((e) => e === 'groups:members')).toHaveLength(1);

  await bob.engine.setStatus('away');
  const bobShown = () => app.active?.members?.find((m) => m.username === 'bob')?.status;
  await eventually(() => bobShown() === 'away', 5_000, 'bob away in the member list');
  await eventually(() => fromAlice().slice(before).includes('groups:list'), 5_000, 'groups list');
  // Anything Alice asked before this reaches the server before it does.
  await engine.setStatus('online');
  expect(fromAlice().slice(before)).toEqual(['groups:list', 'presence:set']);
  app.dispose();
});
