/**
 * The REST API: auth, health, and the admin API. Routes are thin: parse, call a service, reply.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { errors } from '../error-catalogue.ts';
import * as S from '../../shared/schemas.ts';
import type { Config } from '../config.ts';
import { parseOrRefuse as parse, toWire } from '../errors.ts';
import { countLoginFailure } from '../metrics.ts';
import { hashToken, publicUser } from '../services/auth.ts';
import type { Services } from '../services/index.ts';
import type { Store } from '../storage/db.ts';
import type { ClientAddressOf } from '../client-address.ts';
import { pathSegment, type RequestTarget } from './request-guard.ts';
import { bearerToken, readJson, sendError, sendJson, sendOk } from './json.ts';

interface Ctx {
  req: IncomingMessage;
  url: RequestTarget;
  params: string[];
  ip: string;
  body: () => Promise<unknown>;
}

type Route = {
  method: 'GET' | 'POST';
  path: RegExp;
  admin?: boolean;
  handle: (ctx: Ctx, admin: { id: number; username: string } | null) => Promise<unknown>;
};

export function apiHandler(deps: {
  services: Services;
  config: Config;
  logger: Logger;
  store: Store;
  clientAddress: ClientAddressOf;
}) {
  const { services, logger, store, clientAddress } = deps;
  const { auth, moderation } = services;

  const routes: Route[] = [
    {
      method: 'POST',
      path: /^\/api\/auth\/register$/,
      handle: async ({ body, ip }) => {
        const { username, password } = parse(S.credentials, await body());
        return auth.register(username, password, ip);
      },
    },
    {
      method: 'POST',
      path: /^\/api\/auth\/login$/,
      handle: async ({ body, ip }) => {
        const { username, password } = parse(S.loginCredentials, await body());
        return auth.login(username, password, ip).catch(countLoginFailure);
      },
    },
    {
      method: 'POST',
      path: /^\/api\/auth\/logout$/,
      handle: async ({ req }) => {
        await auth.logout(bearerToken(req) ?? '');
        return {};
      },
    },
    {
      method: 'POST',
      path: /^\/api\/auth\/password$/,
      handle: async ({ req, body, ip }) => {
        const token = bearerToken(req) ?? '';
        const user = await auth.authenticate(token);
        if (!user) throw errors.notSignedIn();
        const change = parse(S.changePassword, await body());
        return auth.changePassword({ userId: user.id, ip, ...change, tokenHash: hashToken(token) });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/auth\/me$/,
      handle: async ({ req }) => {
        const user = await auth.authenticate(bearerToken(req) ?? '');
        if (!user) throw errors.notSignedIn();
        return publicUser(user);
      },
    },
    // --- admin ---
    {
      method: 'GET',
      path: /^\/api\/admin\/users$/,
      admin: true,
      handle: async ({ url }) =>
        moderation.users(
          url.searchParams.get('online') === '1' || url.searchParams.get('online') === 'true',
        ),
    },
    {
      method: 'GET',
      path: /^\/api\/admin\/groups$/,
      admin: true,
      handle: () => moderation.allGroups(),
    },
    {
      method: 'GET',
      path: /^\/api\/admin\/log$/,
      admin: true,
      handle: async ({ url }) =>
        moderation.log(
          parse(S.adminLog, { limit: Number(url.searchParams.get('limit') ?? 100) }).limit,
        ),
    },
    {
      method: 'POST',
      path: /^\/api\/admin\/users\/([^/]+)\/(block|unblock)$/,
      admin: true,
      handle: async ({ params }, admin) => {
        const { username } = parse(S.userTarget, { username: pathSegment(params[0] ?? '') });
        return moderation.setUserBlocked(admin!, username, params[1] === 'block');
      },
    },
    {
      method: 'POST',
      path: /^\/api\/admin\/groups\/(block|unblock)$/,
      admin: true,
      handle: async ({ params, body }, admin) => {
        const group = parse(S.groupRef, await body());
        return moderation.setGroupBlocked(admin!, group, params[0] === 'block');
      },
    },
    {
      method: 'POST',
      path: /^\/api\/admin\/send$/,
      admin: true,
      handle: async ({ body }, admin) => {
        const { username, text } = parse(S.adminSendUser, await body());
        return moderation.sendUser(admin!, username, text);
      },
    },
    {
      method: 'POST',
      path: /^\/api\/admin\/sendgroup$/,
      admin: true,
      handle: async ({ body }, admin) => {
        const payload = parse(S.adminSendGroup, await body());
        return moderation.sendGroup(admin!, payload, payload.text);
      },
    },
    {
      // `/api/broadcast` is the old API's name; both are kept.
      method: 'POST',
      path: /^\/api\/(admin\/)?broadcast$/,
      admin: true,
      handle: async ({ body }, admin) =>
        moderation.broadcast(admin!, parse(S.adminBroadcast, await body()).text),
    },
  ];

  /** Returns false when the request is not ours (static files take it). */
  return async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    url: RequestTarget,
  ): Promise<boolean> {
    if (url.pathname === '/healthz') {
      try {
        await store.ping();
        sendJson(res, 200, { ok: true, data: { status: 'ok', store: store.dialect } });
      } catch (err) {
        logger.error({ err }, 'health check: store unreachable');
        // 503, not INTERNAL's 500: a probe tells "down" from "broken".
        sendJson(res, 503, {
          ok: false,
          error: errors.storeUnreachable().toWire(),
        });
      }
      return true;
    }
    if (!url.pathname.startsWith('/api/')) return false;

    const ip = clientAddress(req);
    try {
      const candidates = routes.filter((r) => r.path.test(url.pathname));
      if (candidates.length === 0) throw errors.noRoute({ path: url.pathname });
      const route = candidates.find((r) => r.method === req.method);
      if (!route) {
        res.setHeader('allow', candidates.map((r) => r.method).join(', '));
        throw errors.wrongMethod({ methods: candidates.map((r) => r.method), path: url.pathname });
      }
      let admin: { id: number; username: string } | null = null;
      if (route.admin) {
        const user = await auth.authenticate(bearerToken(req) ?? '');
        if (!user) throw errors.adminTokenMissing();
        admin = await auth.requireAdmin(user.id);
      }
      const params = (route.path.exec(url.pathname) ?? []).slice(1);
      const data = await route.handle({ req, url, params, ip, body: () => readJson(req) }, admin);
      sendOk(res, data);
    } catch (err) {
      sendError(res, toWire(err, logger, { route: url.pathname }));
    }
    return true;
  };
}
