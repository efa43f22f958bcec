/**
 * The engine's core: social state, the relationships view, delivery and the inbox, wired to one
 * another and to the server's events. It takes the platform as narrow interfaces (a server link,
 * peer channels, a history getter), so the same wiring runs in the engine over Socket.IO and WebRTC
 * and in unit tests over in-memory fakes linked to each other.
 */
import type { PeerFrame } from '../../../shared/peer-wire.ts';
import type { DeliveryReceipt } from '../../../shared/events.ts';
import type { PresenceStatus } from '../../../shared/limits.ts';
import type { ChatMessage, EngineError, SocialState } from './api.ts';
import { Delivery } from './delivery.ts';
import type { Keys } from './e2ee/keys.ts';
import type { History } from './history.ts';
import { GroupEvents } from './group-events.ts';
import { Inbox } from './inbox.ts';
import type { EngineNotice } from './notices.ts';
import type { PeerChannels } from './peers.ts';
import { Relationships } from './relationships.ts';
import type { ServerLink } from './session.ts';
import { Social } from './social.ts';

/** How often a sign-in asks for its lists before it gives up until the next one. */
const SETUP_ATTEMPTS = 5;

/** Pages of receipts one pull takes at most (1,000 each: the server keeps at most 1,000 per sender). */
const RECEIPT_PAGES = 5;

export interface CoreDeps {
  server: ServerLink;
  peers: PeerChannels;
  /** Seals and opens what the server stores; pins the keys the server shows. */
  keys: Keys;
  directTimeoutMs: number;
  history(): History | null;
  /** A message was added or changed state (mine or received). */
  message(message: ChatMessage): void;
  /** History's committed conversation list changed without a message event. */
  conversationsChanged(): void;
  social(state: SocialState): void;
  /** Something the user should know that no message or state shows (a forged copy dropped). */
  notice(notice: EngineNotice, level: 'info' | 'error'): void;
  presence(username: string, status: PresenceStatus): void;
}

export interface Core {
  readonly social: Social;
  readonly relationships: Relationships;
  readonly delivery: Delivery;
  readonly inbox: Inbox;
  /** Every frame a peer sent (parsed; `from` is the connection's server-stamped name). */
  onFrame(from: string, frame: PeerFrame): void;
  /** The session is ready (first sign-in or a reconnect): load friends, groups and the view. */
  signedIn(): Promise<void>;
  /**
   * Then, in the background: pull the offline store, and resend the outbox after it. `mailRead`
   * runs once the store's pull is over (failed or not), before the outbox goes.
   */
  drain(mailRead?: () => void): Promise<void>;
  /** Looks for someone's published key (group members not loaded yet) so it can be pinned. */
  learnKey(username: string): Promise<void>;
  /** `username`'s key change was accepted: the copies held for it are opened now. */
  keyAccepted(username: string): Promise<void>;
  signedOut(): void;
}

export function createCore(deps: CoreDeps): Core {
  const { server, peers, keys, directTimeoutMs, history } = deps;
  // Every key the server shows goes past the keyring, which pins the first and flags a change.
  const seen = (username: string, publicKey: string | null) => {
    keys.keyring?.observe(username, publicKey).catch(() => undefined);
  };
  const social = new Social(server, {
    changed: (state) => {
      for (const friend of state.friends) seen(friend.username, friend.publicKey);
      deps.social(state);
    },
    presence: deps.presence,
  });
  const relationships = new Relationships(server, social, (members) => {
    for (const member of members) seen(member.username, member.publicKey);
  });
  server.on('keys:changed', ({ username, publicKey }) => seen(username, publicKey));
  const delivery = new Delivery({
    session: server,
    peers,
    social,
    relationships,
    keys,
    directTimeoutMs,
    history,
    changed: deps.message,
    conversationsChanged: deps.conversationsChanged,
  });
  const inbox = new Inbox({
    session: server,
    peers,
    social,
    relationships,
    keys,
    directTimeoutMs,
    history,
    received: deps.message,
    dropped: (from, cause) => deps.notice({ kind: 'stored-dropped', from, cause }, 'error'),
  });

  // Group events become lines of their conversation in local history (after Social's listeners,
  // so the name and blocked flag read here are still the ones from before the event).
  const groupEvents = new GroupEvents({
    server,
    history,
    group: (groupId) => social.group(groupId),
    me: () => server.state.user?.username ?? null,
    recorded: deps.message,
  });

  // Only once ready: the server also sends it right behind session:ready, and a pull before the
  // sign-in has loaded friends and groups would refuse (and ack away) mail it should keep. The
  // sign-in pulls by itself (drain).
  server.on('offline:available', () => {
    if (server.state.phase === 'ready') void inbox.pullOffline();
  });
  // Delivery receipts (issue 12): applied, then acknowledged so the server forgets them. Those
  // that waited while I was away are announced right behind session:ready, before the sign-in is
  // done: remembered, and pulled by `drain` once it is.
  let receiptsWaiting = false;
  const takeReceipts = async (receipts: DeliveryReceipt[]) => {
    await delivery.onReceipts(receipts);
    if (receipts.length > 0)
      await server.request('receipts:ack', {
        receipts: receipts.map(({ id, to }) => ({ id, to })),
      });
  };
  const pullReceipts = async () => {
    receiptsWaiting = false;
    for (let page = 0; page < RECEIPT_PAGES; page++) {
      const { receipts, more } = await server.request('receipts:pull', {});
      await takeReceipts(receipts);
      if (!more) return;
    }
  };
  server.on('receipts:delivered', ({ receipts }) => {
    takeReceipts(receipts).catch(() => undefined);
  });
  server.on('receipts:available', () => {
    if (server.state.phase === 'ready') pullReceipts().catch(() => undefined);
    else receiptsWaiting = true;
  });
  server.on('system:message', (message) => {
    inbox.onSystem(message).catch(() => undefined);
  });

  /**
   * The lists a sign-in starts from, asked again until the server answers them: a view loaded from
   * a failed answer (a rate limit after a reconnect, a timeout) would refuse every group message
   * until the next sign-in. A rate limit says how long to wait; anything else waits a second.
   */
  async function refreshSocial(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await social.refresh();
      } catch (err) {
        if (!deps.server.connected || attempt >= SETUP_ATTEMPTS) throw err;
        const retryAfter = (err as EngineError).wire?.details?.retryAfterMs;
        const wait = typeof retryAfter === 'number' ? retryAfter : 1_000;
        await new Promise((r) => setTimeout(r, Math.min(wait, 10_000)));
      }
    }
  }

  return {
    social,
    relationships,
    delivery,
    inbox,
    // The one router of peer frames: acks settle my messages, messages go to the inbox.
    onFrame(from, frame) {
      if (frame.type === 'ack') delivery.onAck(from, frame.id);
      else if (frame.type === 'msg') inbox.receive(from, frame);
      // 'typing' and 'read' are routed by the engine (typing.ts, reads.ts); 'hello' stays with Peers.
    },
    async signedIn() {
      relationships.beginLoad();
      try {
        await refreshSocial();
      } finally {
        relationships.loaded(social.state.groups);
        groupEvents.seen(social.state.groups);
      }
    },
    drain: (mailRead) =>
      inbox
        .pullOffline()
        .then(() => mailRead?.())
        .then(() => delivery.flushOutbox())
        .then(() => (receiptsWaiting ? pullReceipts().catch(() => undefined) : undefined)),
    async learnKey(username) {
      if (keys.keyring?.keyFor(username)) return;
      // Friends' keys come with the friends list; a group member's with their group's members.
      const groups = social.state.groups.filter((g) => !g.blocked);
      await Promise.allSettled(groups.map((g) => relationships.members(g.id)));
    },
    async keyAccepted(username) {
      const held = await keys.keyring?.release(username);
      if (held?.length) await inbox.released(held);
    },
    signedOut() {
      social.reset();
      relationships.reset();
    },
  };
}
