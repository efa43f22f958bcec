/** Group roles through a real engine and server: the owner's call and what members see. */
import { expect, it } from 'vitest';
import { EngineError } from '../../web/src/core/api.ts';
import { joinGroup, serverPerTest, signedIn } from '../helpers/engine.ts';
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
  expect(await roleOf('bob')).toBe('admin');

  const refused = await carol.engine.setGroupRole(group.id, 'bob', 'member').catch((e) => e);
  expect(refused).toBeInstanceOf(EngineError);
  expect((refused as EngineError).wire.code).toBe('FORBIDDEN');

  await alice.engine.setGroupRole(group.id, 'bob', 'member');
  await eventually(() => bob.engine.social.groups[0]?.role === 'member');
  expect(await roleOf('bob')).toBe('member');
});
