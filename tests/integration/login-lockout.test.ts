/**
 * Failed-login limits from the attacker's side: guessing at someone's password from elsewhere must
 * not lock the owner out, bursts must not slip past the count, and guessers with many addresses
 * meet a ceiling that still lets the owner in from where they usually sign in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrustProxy } from '../../signaling/client-address.ts';
import { loadConfig } from '../../signaling/config.ts';
import { DIALECTS, startServer, testConfig, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'correct horse battery';

/** Behind one trusted proxy (the TCP peer), the client's address is the last forwarded entry. */
async function from(server: TestServer, address: string, path: string, body: unknown) {
  const res = await fetch(server.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { ok: boolean; error?: { code: string } };
  return json.ok ? 'OK' : json.error!.code;
}
const loginFrom = (server: TestServer, address: string, username: string, password: string) =>
  from(server, address, '/api/auth/login', { username, password });

function limits(overrides: Partial<ReturnType<typeof loadConfig>['rateLimits']> = {}) {
  const defaults = loadConfig({}).rateLimits;
  return {
    ...testConfig('').rateLimits,
    // The login limits as shipped: the finding was made against the defaults.
    loginFailuresPerUserIp: defaults.loginFailuresPerUserIp,
    loginFailuresPerUser: defaults.loginFailuresPerUser,
    ...overrides,
  };
}

describe.each(DIALECTS)('failed-login limits (%s)', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, { trustProxy: parseTrustProxy('1'), rateLimits: limits() });
  });
  afterAll(async () => {
    await server.close();
  });

  it('fifteen wrong passwords from another address do not lock the owner out', async () => {
    expect(
      await from(server, '203.0.113.1', '/api/auth/register', {
        username: 'owner',
        password: PASSWORD,
      }),
    ).toBe('OK');
    const attempts: string[] = [];
    for (let i = 0; i < 15; i++)
      attempts.push(await loginFrom(server, '198.51.100.66', 'owner', `guess ${i}`));
    expect(attempts).toEqual([
      ...Array(10).fill('INVALID_CREDENTIALS'),
      ...Array(5).fill('RATE_LIMITED'),
    ]);
    // The owner, at home and on the road.
    expect(await loginFrom(server, '203.0.113.1', 'owner', PASSWORD)).toBe('OK');
    expect(await loginFrom(server, '192.0.2.44', 'owner', PASSWORD)).toBe('OK');
    // The guesser is still stopped, and even the right password does not get them in from there.
    expect(await loginFrom(server, '198.51.100.66', 'owner', PASSWORD)).toBe('RATE_LIMITED');
  });

  it('a burst of parallel guesses is counted before any is checked', async () => {
    expect(
      await from(server, '203.0.113.2', '/api/auth/register', {
        username: 'burst',
        password: PASSWORD,
      }),
    ).toBe('OK');
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => loginFrom(server, '198.51.100.67', 'burst', `g${i}`)),
    );
    expect(results.filter((r) => r === 'INVALID_CREDENTIALS')).toHaveLength(10);
    expect(results.filter((r) => r === 'RATE_LIMITED')).toHaveLength(6);
  });

  it('an unknown username is limited the same way (nothing tells it apart)', async () => {
    const attempts: string[] = [];
    for (let i = 0; i < 11; i++)
      attempts.push(await loginFrom(server, '198.51.100.68', 'nobody_here', `g${i}`));
    expect(attempts).toEqual([...Array(10).fill('INVALID_CREDENTIALS'), 'RATE_LIMITED']);
  });
});

describe.each(DIALECTS)('the per-username ceiling (%s)', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, {
      trustProxy: parseTrustProxy('1'),
      rateLimits: limits({ loginFailuresPerUser: { points: 20, durationSec: 300 } }),
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('stops a guesser with many addresses; the owner still gets in from an address they used before', async () => {
    expect(
      await from(server, '203.0.113.9', '/api/auth/register', {
        username: 'target',
        password: PASSWORD,
      }),
    ).toBe('OK');
    const attempts: string[] = [];
    for (let a = 0; a < 3; a++)
      for (let i = 0; i < 10; i++)
        attempts.push(await loginFrom(server, `198.51.100.${a + 1}`, 'target', `g${a}-${i}`));
    expect(attempts.filter((r) => r === 'INVALID_CREDENTIALS')).toHaveLength(20);
    expect(attempts.slice(20)).toEqual(Array(10).fill('RATE_LIMITED'));
    // A fresh address meets the ceiling, even with the right password...
    expect(await loginFrom(server, '198.51.100.200', 'target', PASSWORD)).toBe('RATE_LIMITED');
    // ...but the owner's own address does not.
    expect(await loginFrom(server, '203.0.113.9', 'target', PASSWORD)).toBe('OK');
  });

  it('a known address still has only its own attempts while the ceiling is spent', async () => {
    expect(
      await from(server, '203.0.113.10', '/api/auth/register', {
        username: 'target2',
        password: PASSWORD,
      }),
    ).toBe('OK');
    for (let a = 0; a < 2; a++)
      for (let i = 0; i < 10; i++)
        await loginFrom(server, `198.51.100.${a + 50}`, 'target2', `g${a}-${i}`);
    // Someone behind the owner's address guessing: 10 tries there, then stopped.
    const attempts: string[] = [];
    for (let i = 0; i < 11; i++)
      attempts.push(await loginFrom(server, '203.0.113.10', 'target2', `home ${i}`));
    expect(attempts).toEqual([...Array(10).fill('INVALID_CREDENTIALS'), 'RATE_LIMITED']);
  });
});
