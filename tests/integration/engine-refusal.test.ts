/**
 * The engine reads the server's refusal of a handshake (shared/events.ts, ConnectRefusal): a dead
 * token signs it out with the server's own words and forgets the token.
 */
import { expect, it } from 'vitest';
import { serverPerTest, signedIn, startEngine } from '../helpers/engine.ts';
import { post, type TestServer } from '../helpers/server.ts';

let server: TestServer;
serverPerTest(
  (s) => (server = s),
  () => server,
);

it("a dead token at resume signs out with the server's message and forgets the token", async () => {
  const alice = await signedIn(server.url, 'refused_alice');
  const token = alice.profile.tokenStore.get()!;
  await alice.engine.destroy();
  // Another device of hers signs this session out while the tab is closed.
  expect((await post(server.url, '/api/auth/logout', {}, token)).status).toBe(200);

  const again = startEngine(server.url, alice.profile);
  expect(await again.resume()).toBe(false);
  expect(again.session.phase).toBe('signed-out');
  expect(again.session.endedBecause).toEqual({
    reason: 'logout',
    message: 'your session has ended; sign in again',
  });
  expect(alice.profile.tokenStore.get()).toBeNull();
});
