/**
 * The engine's view of what the server allows, and the one place that decides "may this peer and I
 * exchange this message": on send (a courtesy) and on receipt (the check that binds, since a
 * modified client skips the first one). Private messages need a friendship with a user who is not
 * blocked; group messages need a group in my view that is not blocked, with both of us members.
 *
 * The view is changed by the server's events the moment they arrive, not by a later list request:
 * a block that lands while a frame is in flight wins for every frame checked after it. Full lists
 * (groups at sign-in, members on first use) can be answered by the server before an event that
 * overtakes them on the wire; the events seen while a list is loading are replayed over it.
 */
import type { GroupInfo, GroupMember } from '../../../shared/events.ts';
import { usernameKey } from '../../../shared/names.ts';
import { EngineError } from './api.ts';
import type { ServerLink } from './session.ts';
import type { Social } from './social.ts';

export type Exchange = { kind: 'private' } | { kind: 'group'; groupId: number };

export type Verdict =
  | { ok: true }
  | {
      ok: false;
      code: 'NOT_FRIENDS' | 'USER_BLOCKED' | 'NOT_MEMBER' | 'GROUP_BLOCKED' | 'NOT_FOUND';
      message: string;
      /** What the sentence for it names (web/src/core/error-text.ts). */
      details?: { username: string } | { groupId: number };
    };

/** Usernames compare as the server compares them. */
const key = usernameKey;

type GroupDelta = (groups: Map<number, { blocked: boolean }>) => void;
type MemberDelta = (members: Set<string>) => void;

interface MemberEntry {
  members: Set<string> | null;
  /** The last list read, for sending while the server is away. */
  list: GroupMember[];
  /** Events seen while a load is in flight, replayed over its answer. */
  pending: MemberDelta[] | null;
  loading: Promise<GroupMember[]> | null;
}

export class Relationships {
  /** My groups as the server last said: null until the first list after sign-in. */
  #groups: Map<number, { blocked: boolean }> | null = null;
  #groupDeltas: GroupDelta[] | null = null;
  readonly #members = new Map<number, MemberEntry>();
  /** Users an administrator blocked (told by `relation:ended`), until we see them online again. */
  readonly #blockedUsers = new Set<string>();

  constructor(
    private readonly session: ServerLink,
    private readonly social: Pick<Social, 'friend'>,
    /** Members' published keys, as each list arrives (the keyring pins them). */
    private readonly keysSeen: (members: GroupMember[]) => void = () => undefined,
  ) {
    session.on('groups:changed', ({ group }) =>
      this.#groupEvent((groups) => groups.set(group.id, { blocked: group.blocked })),
    );
    session.on('keys:changed', ({ username, publicKey }) => {
      for (const entry of this.#members.values())
        entry.list = entry.list.map((m) =>
          key(m.username) === key(username) ? { ...m, publicKey } : m,
        );
    });
    session.on('groups:removed', ({ groupId }) => {
      this.#groupEvent((groups) => groups.delete(groupId));
      this.#members.delete(groupId);
    });
    session.on('groups:memberChanged', ({ groupId, username, change }) => {
      if (change === 'joined') this.#memberEvent(groupId, (m) => m.add(key(username)));
      else if (change === 'left') this.#memberEvent(groupId, (m) => m.delete(key(username)));
    });
    session.on('relation:ended', ({ username, reason }) => {
      if (reason === 'user-blocked') this.#blockedUsers.add(key(username));
    });
    session.on('presence:changed', ({ username, status }) => {
      // A blocked account cannot sign in; seeing it online means an administrator unblocked it.
      if (status !== 'offline') this.#blockedUsers.delete(key(username));
      for (const entry of this.#members.values())
        entry.list = entry.list.map((m) => (m.username === username ? { ...m, status } : m));
    });
  }

  /** Sign-in (or reconnect) starts: lists loaded before it may be stale, so they are dropped. */
  beginLoad(): void {
    this.#groupDeltas = [];
    this.#members.clear();
  }

  /** The group list of this sign-in arrived; events seen since `beginLoad` are replayed over it. */
  loaded(groups: readonly Pick<GroupInfo, 'id' | 'blocked'>[]): void {
    const view = new Map(groups.map((g) => [g.id, { blocked: g.blocked }]));
    for (const delta of this.#groupDeltas ?? []) delta(view);
    this.#groupDeltas = null;
    this.#groups = view;
  }

  /** Signed out: nothing is allowed until the next sign-in loads the view again. */
  reset(): void {
    this.#groups = null;
    this.#groupDeltas = null;
    this.#members.clear();
    this.#blockedUsers.clear();
  }

  /** The decision on the view as it is now (group members must have been loaded: see `check`). */
  verdict(peer: string, exchange: Exchange): Verdict {
    if (this.#blockedUsers.has(key(peer)))
      return refuse('USER_BLOCKED', `${peer} is blocked by an administrator`, { username: peer });
    if (exchange.kind === 'private') {
      return this.social.friend(peer)
        ? { ok: true }
        : refuse('NOT_FRIENDS', `you are not friends with ${peer}`, { username: peer });
    }
    const mine = this.#mine(exchange.groupId);
    if (!mine.ok) return mine;
    const members = this.#members.get(exchange.groupId)?.members;
    if (!members?.has(key(peer)))
      return refuse('NOT_MEMBER', `${peer} is not in this group`, { username: peer });
    return { ok: true };
  }

  /** Whether I may send to this group at all (it exists for me and is not blocked). */
  mayUseGroup(groupId: number): Verdict {
    return this.#mine(groupId);
  }

  /**
   * The decision for one frame: loads the group's members first if needed, then decides on the
   * view as it is after the load, so an event that arrived meanwhile counts.
   */
  async check(peer: string, exchange: Exchange): Promise<Verdict> {
    // When the server cannot be asked (a rate limit, a timeout) this rejects rather than answer
    // no: a refusal drops the message for good (a stored copy is acked away), an error leaves it
    // where it was (unacked on the channel, in the store) to be decided again later.
    if (exchange.kind === 'group' && this.#mine(exchange.groupId).ok)
      await this.members(exchange.groupId);
    return this.verdict(peer, exchange);
  }

  /**
   * The group's members as the server lists them (with presence), read now, with any membership
   * event that overtook the answer applied over it; also what `verdict` decides by afterwards.
   */
  async members(groupId: number): Promise<GroupMember[]> {
    const entry = this.#entry(groupId);
    if (entry.loading) return entry.loading;
    // The server is away: the list as it last stood (kept current by events until the socket
    // dropped) lets open channels carry on; presence in it is stale, so callers go by the channels.
    if (!this.session.connected && entry.members) {
      const members = entry.members;
      return entry.list.filter((m) => members.has(key(m.username)));
    }
    entry.pending = [];
    const loading = this.session
      .request('groups:members', { groupId })
      .then((list) => {
        if (this.#members.get(groupId) === entry) {
          const members = new Set(list.map((m) => key(m.username)));
          for (const delta of entry.pending ?? []) delta(members);
          entry.members = members;
          entry.list = list;
        }
        this.keysSeen(list);
        const members = entry.members;
        return members ? list.filter((m) => members.has(key(m.username))) : [];
      })
      .finally(() => {
        entry.pending = null;
        entry.loading = null;
      });
    entry.loading = loading;
    return loading;
  }

  /**
   * Whether anything still allows a channel to `peer` (a friendship, or a group of mine that is
   * not blocked with them in it): after a reconnect, links that nothing allows any more are closed.
   */
  async related(peer: string): Promise<boolean> {
    if (this.verdict(peer, { kind: 'private' }).ok) return true;
    if (this.#blockedUsers.has(key(peer))) return false;
    for (const [groupId, group] of this.#groups ?? []) {
      if (group.blocked) continue;
      // Unsure (the member list cannot be read now) keeps the channel: closing is for a no.
      const verdict = await this.check(peer, { kind: 'group', groupId }).catch(() => ({
        ok: true,
      }));
      if (verdict.ok) return true;
    }
    return false;
  }

  /** The last presence the server told for a group member (friends: see Social). */
  memberStatus(username: string): GroupMember['status'] | undefined {
    for (const entry of this.#members.values()) {
      const found = entry.list.find((m) => key(m.username) === key(username));
      if (found && entry.members?.has(key(username))) return found.status;
    }
    return undefined;
  }

  /** Throws the verdict as an EngineError when it refuses. */
  static require(verdict: Verdict): void {
    if (!verdict.ok) throw refusalError(verdict);
  }

  #mine(groupId: number): Verdict {
    const group = this.#groups?.get(groupId);
    if (!group) return refuse('NOT_MEMBER', 'you are not in this group', { groupId });
    if (group.blocked) return refuse('GROUP_BLOCKED', 'this group is blocked by an administrator');
    return { ok: true };
  }

  #entry(groupId: number): MemberEntry {
    let entry = this.#members.get(groupId);
    if (!entry) {
      entry = { members: null, list: [], pending: null, loading: null };
      this.#members.set(groupId, entry);
    }
    return entry;
  }

  #groupEvent(delta: GroupDelta): void {
    if (this.#groups) delta(this.#groups);
    this.#groupDeltas?.push(delta);
  }

  #memberEvent(groupId: number, delta: MemberDelta): void {
    const entry = this.#members.get(groupId);
    if (!entry) return; // not loaded: the next load reads the current list
    if (entry.members) delta(entry.members);
    entry.pending?.push(delta);
  }
}

type Refusal = Exclude<Verdict, { ok: true }>;

function refuse(code: Refusal['code'], message: string, details?: Refusal['details']): Verdict {
  return details ? { ok: false, code, message, details } : { ok: false, code, message };
}

/** A refusing verdict as the EngineError a caller throws. */
export function refusalError(verdict: Refusal): EngineError {
  const { code, message, details } = verdict;
  return new EngineError(details ? { code, message, details } : { code, message });
}
