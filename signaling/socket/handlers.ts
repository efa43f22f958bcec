/**
 * Socket bindings: thin. Each event names its schema and the service call it makes; one dispatcher
 * rate-limits, checks admin rights, parses the payload, runs the call, and answers the ack with data
 * or a catalogued error. Nothing here holds a rule.
 */
import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import type { z } from 'zod';
import type { Ack } from '../../shared/errors.ts';
import { errors } from '../error-catalogue.ts';
import type {
  ClientEvent,
  ClientToServer,
  ServerToClient,
  SocketData,
} from '../../shared/events.ts';
import { LIMITS } from '../../shared/limits.ts';
import * as S from '../../shared/schemas.ts';
import { parseOrRefuse, toWire } from '../errors.ts';
import { countEvent } from '../metrics.ts';
import type { Services } from '../services/index.ts';
import type { EventBudget } from '../services/rate-limits.ts';

export type ChatSocket = Socket<ClientToServer, ServerToClient, Record<string, never>, SocketData>;
type AckData<E extends ClientEvent> =
  Parameters<Parameters<ClientToServer[E]>[1]>[0] extends Ack<infer T> ? T : never;

interface Binding<E extends ClientEvent = ClientEvent> {
  schema: z.ZodType;
  admin?: boolean;
  run: (input: never, me: SocketData) => Promise<AckData<E>>;
}

const budgetKey = (me: SocketData): string => String(me.userId);

function handlersFor(services: Services): { [E in ClientEvent]: Binding<E> } {
  const { presence, friends, groups, offline, receipts, relay, moderation, auth, ice, rooms } =
    services;
  // `define` ties each schema's output type to its run() argument.
  const define = <E extends ClientEvent, T extends z.ZodType>(
    schema: T,
    run: (input: z.output<T>, me: SocketData) => Promise<AckData<E>>,
    admin = false,
  ): Binding<E> => ({ schema, run: run as Binding<E>['run'], admin });
  const actor = (me: SocketData) => ({ id: me.userId, username: me.username });

  return {
    'presence:set': define(S.presenceSet, (p, me) =>
      presence.set(me.userId, me.username, p.status),
    ),

    'friends:list': define(S.empty, (_p, me) => friends.list(me.userId)),
    'friends:request': define(S.userTarget, (p, me) => friends.request(me.userId, p.username)),
    'friends:respond': define(S.friendRespond, (p, me) =>
      friends.respond(me.userId, p.username, p.accept),
    ),
    'friends:remove': define(S.userTarget, (p, me) => friends.remove(me.userId, p.username)),

    'groups:list': define(S.empty, (_p, me) => groups.list(me.userId)),
    'groups:create': define(S.groupCreate, (p, me) => groups.create(me.userId, p.name)),
    'groups:delete': define(S.groupTarget, (p, me) => groups.delete(me.userId, p.groupId)),
    'groups:invite': define(S.groupUserTarget, (p, me) =>
      groups.invite(me.userId, p.groupId, p.username),
    ),
    'groups:kick': define(S.groupUserTarget, (p, me) =>
      groups.kick(me.userId, p.groupId, p.username),
    ),
    'groups:leave': define(S.groupTarget, (p, me) => groups.leave(me.userId, p.groupId)),
    'groups:setRole': define(S.groupSetRole, (p, me) =>
      groups.setRole(me.userId, p.groupId, p.username, p.role),
    ),
    'groups:members': define(S.groupTarget, (p, me) => groups.members(me.userId, p.groupId)),

    'offline:store': define(S.offlineStore, async (p, me) => {
      const { id, copies } = await offline.store(me.userId, p.id, p.to, p.payload);
      return { id, copies };
    }),
    'offline:storeMany': define(S.offlineStoreMany, async (p, me) => {
      const results = await offline.storeMany(me.userId, p.items);
      return {
        results: results.map((r) =>
          r.ok
            ? { id: r.id, ok: true as const, copies: r.copies }
            : { id: r.id, ok: false as const, error: r.error.toWire() },
        ),
      };
    }),
    'offline:pull': define(S.offlinePull, (p, me) => offline.pull(me.userId, p?.limit)),
    'offline:ack': define(S.offlineAck, (p, me) => offline.ack(actor(me), p.ids)),
    'receipts:pull': define(S.receiptsPull, (p, me) => receipts.pull(me.userId, p?.limit)),
    'receipts:ack': define(S.receiptsAck, (p, me) => receipts.ack(me.userId, p.receipts)),

    'keys:publish': define(S.keysPublish, (p, me) =>
      auth.publishKey({ id: me.userId, username: me.username }, p.publicKey, p.backup),
    ),
    'keys:restore': define(S.empty, (_p, me) => auth.restoreKeys(me.userId)),

    'auth:changePassword': define(S.changePassword, (p, me) =>
      auth.changePassword({ userId: me.userId, ip: me.ip, ...p }),
    ),

    'signal:send': define(S.signalSend, (p, me) =>
      relay.send({ id: me.userId, username: me.username }, p.to, p.signal),
    ),
    'session:ice': define(S.empty, async (_p, me) => ice.forUser(me.userId)),

    'admin:users': define(S.adminUsers, (p) => moderation.users(p.onlineOnly), true),
    'admin:groups': define(S.empty, () => moderation.allGroups(), true),
    'admin:sendUser': define(
      S.adminSendUser,
      (p, me) => moderation.sendUser(actor(me), p.username, p.text),
      true,
    ),
    'admin:sendGroup': define(
      S.adminSendGroup,
      (p, me) => moderation.sendGroup(actor(me), p, p.text),
      true,
    ),
    'admin:broadcast': define(
      S.adminBroadcast,
      (p, me) => moderation.broadcast(actor(me), p.text),
      true,
    ),
    'admin:blockUser': define(
      S.userTarget,
      (p, me) => moderation.setUserBlocked(actor(me), p.username, true),
      true,
    ),
    'admin:unblockUser': define(
      S.userTarget,
      (p, me) => moderation.setUserBlocked(actor(me), p.username, false),
      true,
    ),
    'admin:blockGroup': define(
      S.groupRef,
      (p, me) => moderation.setGroupBlocked(actor(me), p, true),
      true,
    ),
    'admin:unblockGroup': define(
      S.groupRef,
      (p, me) => moderation.setGroupBlocked(actor(me), p, false),
      true,
    ),
    'admin:log': define(S.adminLog, (p) => moderation.log(p.limit), true),

    'groups:invitations': define(S.empty, (_p, me) => groups.invitations(me.userId)),
    'groups:accept': define(S.groupTarget, (p, me) => groups.accept(me.userId, p.groupId)),
    'groups:decline': define(S.groupTarget, (p, me) => groups.decline(me.userId, p.groupId)),

    'rooms:list': define(S.roomsList, (p, me) => rooms.list(me.userId, p)),
    'rooms:join': define(S.groupTarget, (p, me) => rooms.join(me.userId, p.groupId)),
    'rooms:setPublic': define(S.roomSetPublic, (p, me) =>
      rooms.setPublic(me.userId, p.groupId, p.public),
    ),
  };
}

/**
 * One listener for every socket, built once: `onAny` hands it each incoming event with `this` bound
 * to the socket, and it looks the binding up in a Map. Registering a closure per event per socket
 * (about 30 of them, plus Socket.IO's listener table) cost a few KB for every connection held.
 */
export function socketBinder(services: Services, logger: Logger, events: EventBudget) {
  const handlers = new Map<string, Binding>(
    Object.entries(handlersFor(services)) as [ClientEvent, Binding][],
  );

  async function handle(
    socket: ChatSocket,
    event: string,
    binding: Binding,
    payload: unknown,
    reply: (res: Ack<unknown>) => void,
  ): Promise<void> {
    const me = socket.data;
    try {
      // Per user, not per socket: a reconnect must not refill the budget.
      await events.consume(budgetKey(me));
      if (binding.admin) await services.auth.requireAdmin(me.userId);
      const data = await binding.run(parseOrRefuse(binding.schema, payload) as never, me);
      reply({ ok: true, data });
      countEvent(event, 'ok');
    } catch (err) {
      const error = toWire(err, logger, { event, user: me.username });
      countEvent(event, error.code);
      reply({ ok: false, error });
    }
  }

  async function unknownEvent(socket: ChatSocket, event: unknown, ack: unknown): Promise<void> {
    // Counted like any event, so a flood of made-up names cannot flood the logs either.
    try {
      await events.consume(budgetKey(socket.data));
    } catch {
      return;
    }
    const name = String(event).slice(0, LIMITS.usernameMax * 2);
    logger.warn({ event: name, user: socket.data.username }, 'unknown event');
    socket.emit('error:unknownEvent', { event: name });
    if (typeof ack === 'function') {
      const error = errors.unknownEvent({ event: name }).toWire();
      (ack as (res: Ack<never>) => void)({ ok: false, error });
    }
  }

  // Socket.IO calls any-listeners with `this` = the socket and the ack (if any) as the last argument.
  function dispatch(this: ChatSocket, event: unknown, ...args: unknown[]): void {
    const ack = args[args.length - 1];
    const binding = typeof event === 'string' ? handlers.get(event) : undefined;
    if (!binding) {
      void unknownEvent(this, event, ack);
      return;
    }
    if (typeof ack !== 'function') {
      logger.debug({ event, user: this.data.username }, 'event without ack ignored');
      return;
    }
    const payload = args.length > 1 ? args[0] : undefined;
    void handle(this, event as string, binding, payload, ack as (res: Ack<unknown>) => void);
  }

  return function bindSocket(socket: ChatSocket): void {
    socket.onAny(dispatch);
  };
}
