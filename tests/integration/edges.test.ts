/**
 * What the server answers at its edges, in the catalogue's shape: requests nothing routes, and
 * handshakes it refuses (the `connect_error` payload a client reads).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import {
  DIALECTS,
  closeAllSockets,
  get,
  post,
  register,
  startServer,
  type TestServer,
} from '../helpers/server.ts';

/** The `connect_error` of one handshake with this auth, as the client sees it. */
function refusedWith(url: string, auth: object): Promise<{ message: string; data: unknown }> {
  const socket = connect(url, {
    auth,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.close();
      reject(new Error('the handshake was accepted'));
    });
    socket.once('connect_error', (err: Error & { data?: unknown }) => {
      socket.close();
      resolve({ message: err.message, data: err.data });
    });
  });
}

describe.each(DIALECTS)('the edges of the server (%s)', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect);
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => closeAllSockets());

  it('answers a path outside the API, with no web client built, with NOT_FOUND', async () => {
    expect(await get(server.url, '/some/page')).toEqual({
      status: 404,
      body: {
        ok: false,
        error: { code: 'NOT_FOUND', message: 'the web client is not built; run `npm run build`' },
      },
    });
  });

  it('refuses a handshake without a token, naming what to do', async () => {
    expect(await refusedWith(server.url, {})).toEqual({
      message: 'UNAUTHENTICATED',
      data: { code: 'UNAUTHENTICATED', message: 'sign in first' },
    });
  });

  it('refuses a dead token: the session has ended', async () => {
    const auth = await register(server.url, 'edge_dead');
    expect((await post(server.url, '/api/auth/logout', {}, auth.token)).status).toBe(200);
    expect(await refusedWith(server.url, { token: auth.token })).toEqual({
      message: 'UNAUTHENTICATED',
      data: { code: 'UNAUTHENTICATED', message: 'your session has ended; sign in again' },
    });
  });
});
