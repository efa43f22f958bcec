/** The HTTP half of signing in: register, login and logout are plain POSTs to the server's API. */
import type { Ack } from '../../../shared/errors.ts';
import type { AuthResult } from '../../../shared/events.ts';
import { EngineError } from './api.ts';

const apiUrl = (serverUrl: string, path: string) => `${serverUrl.replace(/\/+$/, '')}${path}`;

export async function postAuth(
  serverUrl: string,
  path: '/api/auth/register' | '/api/auth/login',
  body: { username: string; password: string },
): Promise<AuthResult> {
  let res: Response;
  try {
    res = await fetch(apiUrl(serverUrl, path), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    throw new EngineError({
      code: 'INTERNAL',
      message: 'cannot reach the server',
      details: { reason: 'unreachable' },
    });
  }
  const ack = (await res.json().catch(() => null)) as Ack<AuthResult> | null;
  if (ack === null || typeof ack !== 'object') {
    throw new EngineError({ code: 'INTERNAL', message: 'unexpected reply from the server' });
  }
  if (!ack.ok) throw new EngineError(ack.error);
  return ack.data;
}

/** Ends the session on the server; a network failure is ignored (we sign out locally anyway). */
export async function postLogout(serverUrl: string, token: string): Promise<void> {
  await fetch(apiUrl(serverUrl, '/api/auth/logout'), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  }).catch(() => undefined);
}
