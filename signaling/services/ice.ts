/**
 * ICE servers for a session: the configured ones, plus TURN credentials minted for this user by the
 * TURN REST API scheme that coturn implements with `use-auth-secret`: the username is
 * `<expiry, unix seconds>:<user id>` and the password is base64(HMAC-SHA1(secret, username)).
 * coturn recomputes the HMAC with the same secret and refuses a username whose expiry has passed,
 * so the server and coturn share a secret and nothing else: no user database on the TURN side.
 */
import { createHmac } from 'node:crypto';
import type { IceConfig, IceServer } from '../../shared/events.ts';
import type { TurnConfig } from '../config.ts';
import type { ServiceDeps } from './deps.ts';

export function turnCredential(
  turn: TurnConfig,
  userId: number,
  nowMs: number,
): { server: IceServer; expiresAtMs: number } {
  const expiry = Math.floor(nowMs / 1000) + turn.ttlSeconds;
  const username = `${expiry}:${userId}`;
  const credential = createHmac('sha1', turn.secret).update(username).digest('base64');
  return { server: { urls: [...turn.urls], username, credential }, expiresAtMs: expiry * 1000 };
}

export class IceService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Cheap (one HMAC): called at every (re)connect and on `session:ice`. */
  forUser(userId: number): IceConfig {
    const { iceServers, turn, iceTransportPolicy } = this.deps.config;
    if (!turn) return { iceServers, iceTtlMs: null, iceTransportPolicy };
    const now = this.deps.now();
    const { server, expiresAtMs } = turnCredential(turn, userId, now);
    return { iceServers: [...iceServers, server], iceTtlMs: expiresAtMs - now, iceTransportPolicy };
  }
}
