/**
 * The terminal client (`npm run chat`) in a real pseudo-terminal (tmux): typed commands, the
 * screen read back. Two terminal clients and an admin, against a real server: registration with
 * the double no-echo password prompt, friends, direct messages both ways, a group by name, an
 * offline message picked up at the next start (with the history file kept across the restart),
 * and an administrator blocking a user.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { register, startServer, type TestServer } from '../helpers/server.ts';
import { Tmux } from '../helpers/tmux.ts';

let server: TestServer;
let tmux: Tmux;

beforeEach(async () => {
  server = await startServer('sqlite');
  tmux = new Tmux();
});
afterEach(async () => {
  tmux.close();
  await server.close();
});

/** Lines of the screen after the last occurrence of `marker` (what the latest command printed). */
const after = (screen: string, marker: string) => screen.slice(screen.lastIndexOf(marker));

it('registers, befriends and chats between two terminals, then a group by name', async () => {
  const alice = tmux.start('alice', server.url);
  await alice.waitFor('Type "help" for commands');
  alice.line('reg alice');
  await alice.waitFor('password: ');
  alice.line('s3cret-alice-pw');
  await alice.waitFor('password again: ');
  alice.line('s3cret-alice-pw');
  await alice.waitFor('registered and signed in as alice', 40_000);
  // Neither answer was echoed.
  expect(alice.screen()).not.toContain('s3cret-alice-pw');

  // A mismatched second password registers nothing.
  const bob = tmux.start('bob', server.url, ['--lang', 'zh']);
  await bob.waitFor('输入 help 查看命令');
  bob.line('reg bob');
  await bob.waitFor('密码：');
  bob.line('bob-password-1');
  await bob.waitFor('再次输入密码：');
  bob.line('bob-password-2');
  await bob.waitFor('两次输入的密码不一致，未注册');
  bob.line('reg bob');
  await bob.waitFor(/密码：[\s\S]*密码：[\s\S]*密码：/);
  bob.line('bob-password-1');
  await bob.waitFor(/再次输入密码：[\s\S]*再次输入密码：/);
  bob.line('bob-password-1');
  await bob.waitFor('已注册并登录为 bob', 40_000);
  expect(bob.screen()).not.toContain('bob-password-1');

  alice.line('add bob');
  await alice.waitFor('friend request sent to bob');
  await bob.waitFor('alice 请求加你为好友');
  // Tab completes the command name and the requester's name.
  bob.type('acc');
  bob.keys('Tab');
  bob.type(' al');
  bob.keys('Tab');
  bob.keys('Enter');
  await bob.waitFor('你和 alice 已成为好友');
  alice.line('friends');
  await alice.waitFor('bob (online)');

  alice.line('.send bob hello from the terminal');
  await alice.waitFor('delivered to bob', 30_000);
  await bob.waitFor(/\[\d\d:\d\d:\d\d\] alice: hello from the terminal/);
  bob.line('send alice 你好，终端');
  await bob.waitFor('已直接送达 alice', 45_000);
  await alice.waitFor(/\[\d\d:\d\d:\d\d\] bob: 你好，终端/);

  // Groups by name, as the spec has them; `groups` numbers them for sendgroup.
  alice.line('newgroup 学习小组');
  await alice.waitFor('created group 1. 学习小组');
  alice.line('addgroupuser 学习小组 bob');
  await alice.waitFor('invited bob to 学习小组');
  await bob.waitFor('alice 邀请你加入 学习小组');
  bob.line('acceptgroup 学习小组');
  await bob.waitFor('已加入 学习小组');
  alice.line('groups');
  await alice.waitFor('1. 学习小组 (creator alice) 2/2 online');
  alice.line('sendgroup 1 group hello');
  await alice.waitFor(/delivered to 学习小组 \(1 direct, 0 stored, of 1\)/, 30_000);
  await bob.waitFor(/\] \[学习小组\] alice: group hello/);
  bob.line('delgroup 学习小组');
  await bob.waitFor(/delgroup|删除/);
  expect(after(bob.screen(), 'delgroup 学习小组')).not.toContain('已删除群组');

  // An unknown command is refused with a suggestion, in the client's language.
  bob.line('frends');
  await bob.waitFor('你是不是想输入“friends”');

  // Offline: bob leaves (quit signs out), alice's message is stored, bob gets it at next start.
  bob.line('quit');
  await bob.waitFor('再见');
  await alice.waitFor('bob is offline');
  alice.line('.send bob while you were away');
  await alice.waitFor('stored on the server for bob', 30_000);

  const bob2 = tmux.start('bob2', server.url, ['--lang', 'zh']);
  await bob2.waitFor('输入 help 查看命令');
  bob2.line('login bob');
  await bob2.waitFor('密码：');
  bob2.line('bob-password-1');
  await bob2.waitFor('已登录为 bob', 40_000);
  await bob2.waitFor(/alice: while you were away/, 30_000);
  // The history file kept the earlier conversation across the restart.
  bob2.line('history alice');
  await bob2.waitFor(
    /alice: hello from the terminal[\s\S]*bob: 你好，终端[\s\S]*while you were away/,
  );

  // Ctrl-C signs out cleanly: alice sees bob go offline at once, and the process ends with 0.
  bob2.keys('C-c');
  await alice.waitFor(/bob is offline[\s\S]*bob is online[\s\S]*bob is offline/, 15_000);
  await expect.poll(() => bob2.exited(), { timeout: 15_000 }).toBe(true);
  // A failure code or a signal fails here; tmux 3.3 sometimes records no status at all for the
  // pane of a clean exit (the same run under a shell that prints $? printed 0), so null passes.
  expect([0, null]).toContain(bob2.exitCode());
}, 240_000);

it('an administrator lists users, sends a system message and blocks a user', async () => {
  await register(server.url, 'root', 'admin-password-1');
  await server.app.services.auth.setAdmin('root', true);

  const mallory = tmux.start('mallory', server.url);
  await mallory.waitFor('Type "help"');
  mallory.line('reg mallory mallory-password');
  await mallory.waitFor('registered and signed in as mallory', 40_000);
  mallory.line('allusers');
  await mallory.waitFor(/allusers[\s\S]*You are not allowed to do that\./);

  const root = tmux.start('root', server.url, ['--lang', 'zh']);
  await root.waitFor('输入 help');
  root.line('login root admin-password-1');
  await root.waitFor('已登录为 root', 40_000);
  root.line('allusers --online');
  await root.waitFor(/mallory（在线）/);
  root.line('adminsend mallory 请遵守规则');
  await root.waitFor('已向 mallory 发送系统消息');
  await mallory.waitFor(/\[\d\d:\d\d:\d\d\] \[系统消息\] 请遵守规则/);

  root.line('blockuser mallory');
  await root.waitFor('mallory 已被封禁');
  await mallory.waitFor('signed out: your account has been blocked by an administrator', 15_000);
  // Blocked: signing in again is refused.
  mallory.line('login mallory mallory-password');
  await mallory.waitFor(
    /login mallory mallory-password[\s\S]*This account is blocked by an administrator\./,
    20_000,
  );
  root.line('allusers');
  await root.waitFor(/mallory（离线）.*\[已封禁\]/);
}, 180_000);
