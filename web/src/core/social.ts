/**
 * Friends and groups as the server tells them: loaded on every sign-in, kept in step by the
 * server's notices, and the server calls that change them. Group member lists shown to the user
 * are cached and kept current by the same notices (what a frame is checked against is
 * Relationships').
 */
import type { FriendInfo, GroupInfo, GroupMember } from '../../../shared/events.ts';
import type { PresenceStatus } from '../../../shared/limits.ts';
import { sameUsername } from '../../../shared/names.ts';
import type { SocialState } from './api.ts';
import type { ServerLink } from './session.ts';

const patched = (members: GroupMember[], username: string, patch: Partial<GroupMember>) =>
  members.map((m) => (sameUsername(m.username, username) ? { ...m, ...patch } : m));

export interface SocialHooks {
  changed(social: SocialState): void;
  presence(username: string, status: PresenceStatus): void;
}

export class Social {
  state: SocialState = { friends: [], incoming: [], outgoing: [], groups: [], invitations: [] };
  readonly #members = new Map<number, { members: GroupMember[] }>();
  /** Counts cache drops, so a list read across one is not kept. */
  #membersDropped = 0;
  /**
   * Presence and key changes that came while a member list was on its way: the server read the
   * list before them, so each is applied to it on arrival (else the list, cached, would keep a
   * member online who has left, and a group file would be offered to them).
   */
  readonly #changedMeanwhile: { username: string; patch: Partial<GroupMember> }[] = [];
  #listsOnTheWay = 0;
  #groupsTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly session: ServerLink,
    private readonly hooks: SocialHooks,
  ) {
    session.on('presence:changed', ({ username, status }) => {
      this.#patchFriend(username, (f) => ({ ...f, status }));
      this.#patchMember(username, { status });
      hooks.presence(username, status);
      this.#refreshGroupsSoon(); // online counts in the groups list
    });
    // Kept current, so a later change of anything else does not show the keyring an old key.
    session.on('keys:changed', ({ username, publicKey }) => {
      this.#patchMember(username, { publicKey });
      this.#patchFriend(username, (f) => ({ ...f, publicKey }));
    });
    session.on('friends:requested', ({ from }) => {
      this.#set({ incoming: [...this.state.incoming.filter((u) => !sameUsername(u, from)), from] });
    });
    session.on('friends:added', ({ friend }) => {
      this.#set({
        friends: [
          ...this.state.friends.filter((f) => !sameUsername(f.username, friend.username)),
          friend,
        ],
        incoming: this.state.incoming.filter((u) => !sameUsername(u, friend.username)),
        outgoing: this.state.outgoing.filter((u) => !sameUsername(u, friend.username)),
      });
    });
    session.on('friends:declined', ({ username }) => {
      this.#set({ outgoing: this.state.outgoing.filter((u) => !sameUsername(u, username)) });
    });
    session.on('friends:removed', ({ username }) => {
      this.#set({ friends: this.state.friends.filter((f) => !sameUsername(f.username, username)) });
    });
    const groupsChanged = (groupId: number) => {
      this.#dropMembers(groupId);
      this.#refreshGroupsSoon();
    };
    session.on('groups:changed', ({ group }) => groupsChanged(group.id));
    session.on('groups:removed', ({ groupId }) => groupsChanged(groupId));
    session.on('groups:invited', ({ invitation }) => {
      this.#set({
        invitations: [
          ...this.state.invitations.filter((i) => i.groupId !== invitation.groupId),
          invitation,
        ],
      });
    });
    session.on('groups:inviteEnded', ({ groupId }) => this.#dropInvitation(groupId));
    session.on('groups:memberChanged', ({ groupId, username, change, role }) => {
      // A role change keeps the cached list (only one member's badge moved); joins and leaves drop it.
      const cached = this.#members.get(groupId);
      if (change === 'role' && role && cached) {
        cached.members = cached.members.map((m) =>
          sameUsername(m.username, username) ? { ...m, role } : m,
        );
        this.#refreshGroupsSoon();
      } else groupsChanged(groupId);
    });
  }

  friend(username: string): FriendInfo | undefined {
    return this.state.friends.find((f) => sameUsername(f.username, username));
  }

  group(groupId: number): GroupInfo | undefined {
    return this.state.groups.find((g) => g.id === groupId);
  }

  /** The server's list, loaded now; `number` is the spec's 1-based local number. */
  async refresh(): Promise<void> {
    const [friends, groups, invitations] = await Promise.all([
      this.session.request('friends:list', {}),
      this.session.request('groups:list', {}),
      this.session.request('groups:invitations', {}),
    ]);
    this.#dropMembers();
    this.#set({ ...friends, groups, invitations });
  }

  async refreshGroups(): Promise<GroupInfo[]> {
    const groups = await this.session.request('groups:list', {});
    this.#set({ groups });
    return groups;
  }

  /** A member's presence or key changed: every cached list, and any list still on its way. */
  #patchMember(username: string, patch: Partial<GroupMember>): void {
    if (this.#listsOnTheWay > 0) this.#changedMeanwhile.push({ username, patch });
    for (const entry of this.#members.values())
      entry.members = patched(entry.members, username, patch);
  }

  /**
   * Members with presence, for showing. Read once, then kept current by the server's events:
   * presence patches the cached list, a membership event drops it (the next read asks again), and
   * every sign-in starts over. Sending reads its own list (Relationships).
   */
  async members(groupId: number): Promise<GroupMember[]> {
    const cached = this.#members.get(groupId);
    if (cached) return cached.members;
    const dropped = this.#membersDropped;
    const from = this.#changedMeanwhile.length;
    this.#listsOnTheWay++;
    let members: GroupMember[];
    try {
      members = await this.session.request('groups:members', { groupId });
    } finally {
      this.#listsOnTheWay--;
    }
    for (const { username, patch } of this.#changedMeanwhile.slice(from))
      members = patched(members, username, patch);
    if (this.#listsOnTheWay === 0) this.#changedMeanwhile.length = 0;
    // A membership event while the list was on its way: it may be stale; the next read asks again.
    if (dropped === this.#membersDropped) this.#members.set(groupId, { members });
    return members;
  }

  reset(): void {
    if (this.#groupsTimer) clearTimeout(this.#groupsTimer);
    this.#groupsTimer = null;
    this.#dropMembers();
    this.#set({ friends: [], incoming: [], outgoing: [], groups: [], invitations: [] });
  }

  async addFriend(username: string): Promise<void> {
    const res = await this.session.request('friends:request', { username });
    // Asking someone who already asked us makes us friends; 'friends:added' brings the details.
    if (res.state === 'pending') {
      this.#set({
        outgoing: [
          ...this.state.outgoing.filter((u) => !sameUsername(u, res.username)),
          res.username,
        ],
      });
    }
  }

  async respondFriend(username: string, accept: boolean): Promise<void> {
    const res = await this.session.request('friends:respond', { username, accept });
    this.#set({ incoming: this.state.incoming.filter((u) => !sameUsername(u, res.username)) });
  }

  async removeFriend(username: string): Promise<void> {
    const res = await this.session.request('friends:remove', { username });
    this.#set({
      friends: this.state.friends.filter((f) => !sameUsername(f.username, res.username)),
    });
  }

  async createGroup(name: string): Promise<GroupInfo> {
    const group = await this.session.request('groups:create', { name });
    await this.refreshGroups();
    return this.group(group.id) ?? group;
  }

  async deleteGroup(groupId: number): Promise<void> {
    await this.session.request('groups:delete', { groupId });
    await this.refreshGroups();
  }

  async inviteToGroup(groupId: number, username: string): Promise<void> {
    await this.session.request('groups:invite', { groupId, username });
    this.#members.delete(groupId);
    await this.refreshGroups();
  }

  async respondGroupInvite(groupId: number, accept: boolean): Promise<void> {
    await this.session.request(accept ? 'groups:accept' : 'groups:decline', { groupId });
    this.#dropInvitation(groupId);
    if (accept) await this.refreshGroups();
  }

  #dropInvitation(groupId: number): void {
    if (!this.state.invitations.some((i) => i.groupId === groupId)) return;
    this.#set({ invitations: this.state.invitations.filter((i) => i.groupId !== groupId) });
  }

  async kickFromGroup(groupId: number, username: string): Promise<void> {
    await this.session.request('groups:kick', { groupId, username });
    this.#members.delete(groupId);
    await this.refreshGroups();
  }

  async leaveGroup(groupId: number): Promise<{ deleted: boolean; newOwner: string | null }> {
    const { deleted, newOwner } = await this.session.request('groups:leave', { groupId });
    this.#members.delete(groupId);
    await this.refreshGroups();
    return { deleted, newOwner };
  }

  async setGroupRole(groupId: number, username: string, role: 'admin' | 'member'): Promise<void> {
    await this.session.request('groups:setRole', { groupId, username, role });
    this.#members.delete(groupId);
    await this.refreshGroups();
  }

  // --- rooms (public groups, issue 12) ---
  async joinRoom(groupId: number): Promise<GroupInfo> {
    const joined = await this.session.request('rooms:join', { groupId });
    this.#dropInvitation(groupId);
    await this.refreshGroups();
    return this.group(groupId) ?? joined;
  }

  async setGroupPublic(groupId: number, open: boolean): Promise<void> {
    await this.session.request('rooms:setPublic', { groupId, public: open });
    await this.refreshGroups();
  }

  #dropMembers(groupId?: number): void {
    this.#membersDropped++;
    if (groupId === undefined) this.#members.clear();
    else this.#members.delete(groupId);
  }

  #refreshGroupsSoon(): void {
    if (this.#groupsTimer) return;
    // Presence changes come in bursts (a server restart); one list request covers a burst.
    this.#groupsTimer = setTimeout(() => {
      this.#groupsTimer = null;
      if (this.session.connected) this.refreshGroups().catch(() => undefined);
    }, 150);
  }

  #patchFriend(username: string, patch: (f: FriendInfo) => FriendInfo): void {
    if (!this.state.friends.some((f) => sameUsername(f.username, username))) return;
    this.#set({
      friends: this.state.friends.map((f) => (sameUsername(f.username, username) ? patch(f) : f)),
    });
  }

  #set(patch: Partial<SocialState>): void {
    this.state = { ...this.state, ...patch };
    this.hooks.changed(this.state);
  }
}
