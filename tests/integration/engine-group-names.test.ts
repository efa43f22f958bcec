/**
 * The spec's groups by name (`delgroup <groupname>`, `addgroupuser <groupname> <username>`, ...)
 * through a real engine and server: a name resolves only among the caller's own groups, two of
 * them sharing a name are asked about (or refused with the numbers to use), and the lines come out
 * in English or Chinese.
 */
import { expect, it } from 'vitest';
import { befriend, serverPerTest, signedIn } from '../helpers/engine.ts';
import { eventually, type TestServer } from '../helpers/server.ts';

let server: TestServer;

serverPerTest(
  (s) => (server = s),
  () => server,
);

it('resolves group names among my own groups only, and asks when two share a name', async () => {
  const alice = await signedIn(server.url, 'alice');
  const bob = await signedIn(server.url, 'bob');
  const carol = await signedIn(server.url, 'carol');
  const mallory = await signedIn(server.url, 'mallory');
  await befriend(alice.engine, bob.engine);

  expect((await alice.engine.runCommand('newgroup 学习小组')).ok).toBe(true);
  expect(await alice.engine.runCommand('addgroupuser 学习小组 bob')).toEqual({
    ok: true,
    lines: ['invited bob to 学习小组; they join when they accept'],
  });
  await eventually(() => bob.engine.social.invitations.length === 1);
  expect((await bob.engine.runCommand('acceptgroup 学习小组')).ok).toBe(true);

  // A stranger cannot reach alice's group by its name: names resolve among one's own groups.
  expect(await mallory.engine.runCommand('delgroup 学习小组')).toEqual({
    ok: false,
    message: 'you have no group named "学习小组"; type "groups" to list yours',
  });
  expect(await mallory.engine.runCommand('addgroupuser 学习小组 mallory', { lang: 'zh' })).toEqual({
    ok: false,
    message: '你没有名为“学习小组”的群组；输入 groups 查看你的群组',
  });

  // Bob owns a group with the same name as one he belongs to: the name alone is ambiguous.
  expect((await bob.engine.runCommand('newgroup 学习小组')).ok).toBe(true);
  await eventually(() => bob.engine.social.groups.length === 2);
  const listed = await bob.engine.runCommand('groups');
  expect(listed).toEqual({
    ok: true,
    lines: [
      expect.stringMatching(/^\d\. 学习小组 \(creator (alice|bob)\) \d\/\d online$/),
      expect.stringMatching(/^\d\. 学习小组 \(creator (alice|bob)\) \d\/\d online$/),
    ],
  });
  const refused = await bob.engine.runCommand('addgroupuser 学习小组 carol');
  expect(refused.ok).toBe(false);
  const why = refused.ok ? '' : refused.message;
  expect(why).toMatch(/^more than one of your groups is named "学习小组": /);
  expect(why).toContain('(creator alice)');
  expect(why).toContain('(creator bob)');

  // The front end's answer picks one; an answer that is not one of the candidates counts as none.
  const asked: string[][] = [];
  const own = await bob.engine.runCommand('addgroupuser 学习小组 carol', {
    chooseGroup: async (name, candidates) => {
      asked.push(candidates.map((g) => `${name}/${g.creator}`));
      return candidates.find((g) => g.creator === 'bob');
    },
  });
  expect(own).toEqual({
    ok: true,
    lines: ['invited carol to 学习小组; they join when they accept'],
  });
  expect(asked).toHaveLength(1);
  expect(asked[0]?.sort()).toEqual(['学习小组/alice', '学习小组/bob']);
  await eventually(() => carol.engine.social.invitations.length === 1);
  expect(carol.engine.social.invitations[0]?.creator).toBe('bob');

  const forged = await bob.engine.runCommand('delgroup 学习小组', {
    chooseGroup: async (_name, candidates) => ({ ...candidates[0]!, id: 999_999 }),
  });
  expect(forged.ok).toBe(false);
  expect(bob.engine.social.groups).toHaveLength(2);

  // By number still works, and the Chinese lines read as Chinese.
  const bobsOwn = bob.engine.social.groups.find((g) => g.creator === 'bob');
  expect(await bob.engine.runCommand(`delgroup ${bobsOwn?.number}`, { lang: 'zh' })).toEqual({
    ok: true,
    lines: ['已删除群组 学习小组'],
  });
  await eventually(() => bob.engine.social.groups.length === 1);
  // Now the name is unique again, so bob can leave alice's group by name.
  expect(await bob.engine.runCommand('leavegroup 学习小组', { lang: 'zh' })).toEqual({
    ok: true,
    lines: ['已退出 学习小组'],
  });
  expect(await bob.engine.runCommand('reg bob', { lang: 'zh' })).toEqual({
    ok: false,
    message: 'reg：还需要密码：reg <用户名> <密码>',
  });
  expect(await bob.engine.runCommand('frends', { lang: 'zh' })).toEqual({
    ok: false,
    message: '未知命令“frends”。你是不是想输入“friends”？输入 help 查看命令列表。',
  });
}, 90_000);
