/**
 * In-process fakes for unit tests of the engine's state machines (STYLE 12): an in-memory server
 * standing in for the Socket.IO request/events surface, and peer channels linked to each other, so
 * two or more engine cores talk without WebRTC or a real server. Only the platform is fake: Social,
 * Relationships, Delivery, Inbox and History (over fake-indexeddb) are the real ones, wired by the
 * engine's own `createCore`.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import type { WireError } from '../../shared/errors.ts';
import type {
  ClientEvent,
  GroupInfo,
  GroupMember,
  GroupRole,
  OfflineMessage,
  ServerToClient,
} from '../../shared/events.ts';
import type { PresenceStatus } from '../../shared/limits.ts';
import { parseFrame, type PeerFrame } from '../../shared/peer-wire.ts';
import {
  EngineError,
  type ChatMessage,
  type LinkState,
  type SessionState,
} from '../../web/src/core/api.ts';
import { createCore, type Core } from '../../web/src/core/core.ts';
import { generateIdentity, type Identity } from '../../web/src/core/e2ee/identity.ts';
import { Keyring } from '../../web/src/core/e2ee/keyring.ts';
import { Keys } from '../../web/src/core/e2ee/keys.ts';
import { pairKey, seal } from '../../web/src/core/e2ee/seal.ts';
import { History } from '../../web/src/core/history.ts';
import type { EngineNotice } from '../../web/src/core/notices.ts';
import type { LinkLost, PeerChannels } from '../../web/src/core/peers.ts';
import type { AckData, Payload, ServerEvent, ServerLink } from '../../web/src/core/session.ts';

const refuse = (code: WireError['code'], message: string) => new EngineError({ code, message });
const pair = (a: string, b: string) => [a, b].sort().join('\u0000');

interface FakeGroup {
  id: number;
  name: string;
  creator: string;
  blocked: boolean;
  members: Map<string, GroupRole>;
}

/** One user's connection to the fake server: what the engine's modules see as the session. */
export class FakeServerLink implements ServerLink {
  state: SessionState;
  connected = true;
  /** Every request this user made, in order: what a test counts round trips by. */
  readonly requests: { event: ClientEvent; payload: unknown }[] = [];
  readonly #handlers = new Map<ServerEvent, ((data: never) => void)[]>();

  constructor(
    private readonly server: FakeServer,
    readonly username: string,
  ) {
    this.state = {
      phase: 'ready',
      user: { id: 1, username, isAdmin: false },
      status: 'online',
      endedBecause: null,
    };
  }

  on<E extends ServerEvent>(event: E, handler: ServerToClient[E]): void {
    const list = this.#handlers.get(event) ?? [];
    list.push(handler as (data: never) => void);
    this.#handlers.set(event, list);
  }

  /** The server pushes an event to this user. */
  emit<E extends ServerEvent>(event: E, data: Parameters<ServerToClient[E]>[0]): void {
    for (const handler of this.#handlers.get(event) ?? []) handler(data as never);
  }

  async request<E extends ClientEvent>(event: E, payload: Payload<E>): Promise<AckData<E>> {
    this.requests.push({ event, payload });
    if (!this.connected) throw refuse('INTERNAL', 'not connected to the server');
    // Answer on a later turn, as a socket would.
    await Promise.resolve();
    return this.server.handle(this.username, event, payload as never) as AckData<E>;
  }

  count(event: ClientEvent): number {
    return this.requests.filter((r) => r.event === event).length;
  }
}

/**
 * Just enough of the signaling server's rules for the client's state machines: friendships,
 * groups and members, presence, and the offline store (store, pull, ack).
 */
export class FakeServer {
  readonly links = new Map<string, FakeServerLink>();
  readonly presence = new Map<string, PresenceStatus>();
  readonly #friends = new Set<string>();
  readonly #groups = new Map<number, FakeGroup>();
  readonly mailbox = new Map<string, OfflineMessage[]>();
  /** Published bundles by username, as `keys:publish` left them. */
  readonly publicKeys = new Map<string, string>();
  #groupId = 0;
  #storedAt = 0;

  connect(username: string): FakeServerLink {
    const link = new FakeServerLink(this, username);
    this.links.set(username, link);
    this.presence.set(username, 'online');
    return link;
  }

  befriend(a: string, b: string): void {
    this.#friends.add(pair(a, b));
  }

  unfriend(a: string, b: string): void {
    this.#friends.delete(pair(a, b));
  }

  createGroup(name: string, creator: string, others: string[]): number {
    const id = ++this.#groupId;
    const members = new Map<string, GroupRole>([[creator, 'owner']]);
    for (const u of others) members.set(u, 'member');
    this.#groups.set(id, { id, name, creator, blocked: false, members });
    return id;
  }

  removeMember(groupId: number, username: string): void {
    this.#groups.get(groupId)?.members.delete(username);
  }

  /** A message waiting for `to` in the offline store, as if some sender had stored it. */
  deposit(to: string, message: Omit<OfflineMessage, 'at'>): void {
    const box = this.mailbox.get(to) ?? [];
    box.push({ ...message, at: ++this.#storedAt });
    this.mailbox.set(to, box);
  }

  handle(me: string, event: ClientEvent, payload: Record<string, unknown>): unknown {
    switch (event) {
      case 'friends:list':
        return {
          friends: [...this.presence.keys()]
            .filter((u) => u !== me && this.#friends.has(pair(me, u)))
            .map((u) => ({
              username: u,
              status: this.#status(u),
              publicKey: this.publicKeys.get(u) ?? null,
            })),
          incoming: [],
          outgoing: [],
        };
      case 'groups:list':
        return [...this.#groups.values()]
          .filter((g) => g.members.has(me))
          .map((g, i) => this.#groupInfo(g, me, i + 1));
      // Invitations are the server's business; these fakes put members in groups directly.
      case 'groups:invitations':
        return [];
      case 'groups:members': {
        const group = this.#groups.get(payload.groupId as number);
        if (!group?.members.has(me)) throw refuse('NOT_MEMBER', 'you are not in this group');
        return [...group.members].map(([username, role]): GroupMember => ({
          username,
          role,
          status: this.#status(username),
          publicKey: this.publicKeys.get(username) ?? null,
        }));
      }
      case 'offline:store':
        return this.#store(me, payload as Payload<'offline:store'>);
      case 'offline:pull': {
        const limit = (payload.limit as number | undefined) ?? 100;
        const box = this.mailbox.get(me) ?? [];
        return { messages: box.slice(0, limit), more: box.length > limit };
      }
      case 'offline:ack': {
        const ids = new Set(payload.ids as string[]);
        const box = this.mailbox.get(me) ?? [];
        const kept = box.filter((m) => !ids.has(m.id));
        this.mailbox.set(me, kept);
        return { deleted: box.length - kept.length };
      }
      default:
        throw refuse('INTERNAL', `the fake server does not answer ${event}`);
    }
  }

  #store(
    me: string,
    { id, to, payload }: Payload<'offline:store'>,
  ): { id: string; copies: number } {
    if ('username' in to && !('groupId' in to)) {
      if (!this.#friends.has(pair(me, to.username)))
        throw refuse('NOT_FRIENDS', `you are not friends with ${to.username}`);
      this.deposit(to.username, { id, from: me, kind: 'private', group: null, payload });
      return { id, copies: 1 };
    }
    const group = this.#groups.get(to.groupId);
    if (!group?.members.has(me)) throw refuse('NOT_MEMBER', 'you are not in this group');
    const recipients =
      'username' in to ? [to.username] : [...group.members.keys()].filter((u) => u !== me);
    const envelope = { id: group.id, name: group.name, creator: group.creator };
    for (const u of recipients)
      this.deposit(u, { id, from: me, kind: 'group', group: envelope, payload });
    return { id, copies: recipients.length };
  }

  #status(username: string): PresenceStatus {
    return this.presence.get(username) ?? 'offline';
  }

  #groupInfo(g: FakeGroup, me: string, number: number): GroupInfo {
    const members = [...g.members.keys()];
    return {
      id: g.id,
      number,
      name: g.name,
      creator: g.creator,
      owner: g.creator,
      role: g.members.get(me) ?? 'member',
      online: members.filter((u) => this.#status(u) !== 'offline').length,
      total: members.length,
      blocked: g.blocked,
      public: false,
    };
  }
}

const never: LinkLost = new Promise<Error>(() => undefined);

/**
 * Data channels between fake peers, linked in process: a frame one sends is parsed and handed to
 * the other's frame handler on a later turn, as a channel would. `up` decides who can reach whom;
 * `drop` makes a channel swallow frames (a peer that never acks).
 */
export class FakePeerNet {
  readonly #handlers = new Map<string, (from: string, frame: PeerFrame) => void>();
  /** Every frame that went out, parsed: what a test reads the wire from. */
  readonly sent: { from: string; to: string; frame: PeerFrame }[] = [];
  readonly #down = new Set<string>();
  drop: (from: string, to: string, frame: PeerFrame) => boolean = () => false;

  /** `username` stops answering (or starts again): no channel to or from it opens. */
  setReachable(username: string, up: boolean): void {
    if (up) this.#down.delete(username);
    else this.#down.add(username);
  }

  channels(me: string): PeerChannels & { attach(onFrame: Core['onFrame']): void } {
    const reachable = (to: string) =>
      this.#handlers.has(to) && !this.#down.has(to) && !this.#down.has(me);
    return {
      attach: (onFrame) => void this.#handlers.set(me, onFrame),
      link: (to): LinkState => (reachable(to) ? 'direct' : 'offline-store'),
      send: async (to, data, _deadline, allowed = () => true) => {
        if (!reachable(to)) throw new Error(`no direct channel to ${to} in time`);
        if (!allowed()) throw new Error('not allowed');
        const parsed = parseFrame(data);
        if (!parsed.ok) throw new Error(parsed.error);
        const { frame } = parsed;
        this.sent.push({ from: me, to, frame });
        setTimeout(() => {
          if (!this.drop(me, to, frame)) this.#handlers.get(to)?.(me, frame);
        }, 0);
        return { lost: never };
      },
    };
  }
}

export interface FakePeer {
  username: string;
  core: Core;
  server: FakeServerLink;
  history: History;
  /** Every 'message' event the core announced, in order. */
  messages: ChatMessage[];
  /** Every frame handed to this peer's core, in order. */
  received: PeerFrame[];
  /** Every notice the core raised. */
  notices: { notice: EngineNotice; level: 'info' | 'error' }[];
  identity: Identity;
  keys: Keys;
  close(): void;
}

/** What `from`'s client would store for `to`: `plaintext` sealed with their pairwise key. */
export function sealedCopy(
  from: { username: string; identity: Identity },
  to: { username: string; identity: Identity },
  id: string,
  plaintext: string,
  groupId?: number,
): string {
  const key = pairKey(from.identity, to.identity);
  return seal(key, { from: from.username, to: to.username, id, groupId }, plaintext);
}

/** An engine core for `username`, over the fake server and net, signed in (the view loaded). */
export async function fakePeer(
  username: string,
  server: FakeServer,
  net: FakePeerNet,
  options: {
    directTimeoutMs?: number;
    indexedDB?: IDBFactory;
    signIn?: boolean;
    /** This user's keys (default: what their device has, or new ones). */
    identity?: Identity;
  } = {},
): Promise<FakePeer> {
  const link = server.links.get(username) ?? server.connect(username);
  const channels = net.channels(username);
  const indexedDB = options.indexedDB ?? new IDBFactory();
  const messages: ChatMessage[] = [];
  const received: PeerFrame[] = [];
  const notices: FakePeer['notices'] = [];
  const history = await History.open(username, {
    indexedDB,
    IDBKeyRange,
  });
  // Keys without the backup's KDF (its own tests cover it): made here and published directly.
  const keyring = await Keyring.open(username, { indexedDB, IDBKeyRange }, () => undefined);
  const identity = options.identity ?? keyring.identity ?? generateIdentity();
  await keyring.adopt(identity);
  server.publicKeys.set(username, identity.bundle);
  const keys = new Keys({
    server: link,
    notice: (notice) => notices.push({ notice, level: 'error' }),
  });
  keys.attach(keyring);
  const core = createCore({
    server: link,
    peers: channels,
    keys,
    directTimeoutMs: options.directTimeoutMs ?? 1_000,
    history: () => (history.isOpen ? history : null),
    message: (m) => messages.push(m),
    conversationsChanged: () => undefined,
    social: () => undefined,
    notice: (notice, level) => notices.push({ notice, level }),
    presence: () => undefined,
  });
  channels.attach((from, frame) => {
    received.push(frame);
    core.onFrame(from, frame);
  });
  if (options.signIn !== false) await core.signedIn();
  return {
    username,
    core,
    server: link,
    history,
    messages,
    received,
    notices,
    identity,
    keys,
    close: () => {
      core.delivery.stop();
      history.close();
      keyring.close();
    },
  };
}

/** Polls until `check` holds (state machines settle over several turns and IndexedDB commits). */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 3_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
