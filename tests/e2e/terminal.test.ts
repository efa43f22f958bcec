/**
 * A browser and terminal clients in one conversation: real Chromium running the built web client,
 * the terminal client in tmux, peer to peer over WebRTC (the browser's native stack, the
 * terminal's @roamhq/wrtc), not through the server's store.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/browser.ts';
import { Tmux } from '../helpers/tmux.ts';

let h: Harness;
let tmux: Tmux;

beforeAll(async () => {
  h = await startHarness();
  tmux = new Tmux();
});
afterAll(async () => {
  tmux?.close();
  await h?.close();
});

it('a terminal and a browser chat directly, and a group holds a browser and two terminals', async () => {
  const [web] = await h.people('web');
  const alice = tmux.start('alice', h.url);
  const carol = tmux.start('carol', h.url);
  await alice.waitFor('Type "help"');
  alice.line('reg alice');
  await alice.waitFor('password: ');
  alice.line('alice-password-1');
  await alice.waitFor('password again: ');
  alice.line('alice-password-1');
  await alice.waitFor('registered and signed in as alice', 40_000);
  await carol.waitFor('Type "help"');
  carol.line('reg carol carol-password-1');
  await carol.waitFor('registered and signed in as carol', 40_000);

  alice.line(`add ${web!.name}`);
  await alice.waitFor(`friend request sent to ${web!.name}`);
  await web!.accept('alice');
  alice.line('friends');
  await alice.waitFor(`${web!.name} (online)`);

  // Terminal -> browser, directly: "delivered" is the browser's ack over the data channel.
  alice.line(`.send ${web!.name} hello from a terminal`);
  await alice.waitFor(`delivered to ${web!.name}`, 45_000);
  await web!.openFriend('alice');
  await web!.expectMessage('hello from a terminal');
  await expect
    .poll(() => web!.byTestId('link-state').getAttribute('data-link'), { timeout: 20_000 })
    .toBe('direct');

  // Browser -> terminal.
  await web!.type('你好，来自浏览器');
  await web!.expectMessage('你好，来自浏览器', 'delivered', 45_000);
  await alice.waitFor(new RegExp(`\\] ${web!.name}: 你好，来自浏览器`));

  // A group of a browser and two terminals, by name.
  alice.line('newgroup mixed');
  await alice.waitFor('created group 1. mixed');
  alice.line(`addgroupuser mixed ${web!.name}`);
  await alice.waitFor(`invited ${web!.name} to mixed`);
  alice.line('addgroupuser mixed carol');
  await alice.waitFor('invited carol to mixed');
  await carol.waitFor('alice invites you to mixed');
  carol.line('acceptgroup mixed');
  await carol.waitFor('joined mixed');
  await web!.joinGroup('mixed');
  alice.line('groups');
  await alice.waitFor('1. mixed (creator alice) 3/3 online');

  alice.line('sendgroup 1 hello group');
  await alice.waitFor(/delivered to mixed \(2 direct, 0 stored, of 2\)/, 45_000);
  await carol.waitFor(/\] \[mixed\] alice: hello group/);
  await web!.openGroup('mixed');
  await web!.expectMessage('hello group');

  await web!.type('browser to the group');
  await alice.waitFor(new RegExp(`\\] \\[mixed\\] ${web!.name}: browser to the group`), 45_000);
  await carol.waitFor(new RegExp(`\\] \\[mixed\\] ${web!.name}: browser to the group`), 45_000);
}, 300_000);
