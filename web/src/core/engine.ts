/**
 * `createEngine`: wires the session, peers, delivery, inbox, social state and history into one
 * `ChatEngine`. This file holds no rules of its own; it decides what happens on sign-in and sign-out.
 */
import type { SessionReady } from '../../../shared/events.ts';
import type { ChatEngine, ChatMessage, ConversationId, EngineEvent } from './api.ts';
import { contactPresence, EngineError, parseConversation } from './api.ts';
import { runCommand } from './commands.ts';
import { createCore } from './core.ts';
import { Keyring } from './e2ee/keyring.ts';
import { Keys, KeysLocked, type KeySetup } from './e2ee/keys.ts';
import { noticeText, type EngineNotice } from './notices.ts';
import { Emitter } from './emitter.ts';
import { Files } from './files/transfers.ts';
import { fileProblemText } from './files/problem.ts';
import { History } from './history.ts';
import { IceKeeper } from './ice.ts';
import { resolveOptions, type EngineOptions } from './options.ts';
import { Peers } from './peers.ts';
import { Reads } from './reads.ts';
import { Typing } from './typing.ts';
import { Session } from './session.ts';
import { sameUsername } from '../../../shared/names.ts';
import { encodeFrame, isFileFrame, type PeerFrame } from '../../../shared/peer-wire.ts';
import { LIMITS } from '../../../shared/limits.ts';

/**
 * How long signing out waits for open channels to pass on what was sent on them (a `ping`
 * answered by `pong`, peers.ts): one round trip normally; the cap is for a peer that hangs.
 */
const LOGOUT_FLUSH_MS = 3_000;

export type { EngineOptions, TokenStore } from './options.ts';
export { memoryTokenStore } from './options.ts';

export function createEngine(engineOptions: EngineOptions): ChatEngine {
  const options = resolveOptions(engineOptions);
  const emitter = new Emitter();
  const emit = (event: EngineEvent) => emitter.emit(event);
  let history: History | null = null;
  let destroyed = false;
  /**
   * The password of a sign-in under way, kept in memory only until this device's keys are set up
   * with it (restore or wrap the backup); a resumed session has none.
   */
  let signingIn: { username: string; password: string } | null = null;
  /**
   * Who is signing in while `onReady` runs: the session names its user only once that is done,
   * and what `onReady` starts (a file's resume ask opens a channel) already needs to know who I
   * am. With '' there, '' < every name made this side the initiator out of turn, its offer was
   * ignored by the real initiator and the resume hung (issue 13).
   */
  let readying: string | null = null;
  const myName = () => session.state.user?.username ?? readying ?? '';

  // Coalesced: one 'conversations' event per burst of changes (a committed batch of messages
  // announces each of them), built from History's in-memory list rather than read back from disk.
  let conversationsTimer: ReturnType<typeof setTimeout> | null = null;
  const conversationsChanged = () => {
    if (conversationsTimer !== null) return;
    conversationsTimer = setTimeout(() => {
      conversationsTimer = null;
      if (history?.isOpen)
        emit({ type: 'conversations', conversations: history.conversationsNow() });
    }, 0);
  };
  const messageChanged = (message: ChatMessage) => {
    // A message from someone ends their typing indicator (typing.ts).
    if (!sameUsername(message.from, myName())) typing.received(message);
    emit({ type: 'message', message });
    conversationsChanged();
  };

  const session: Session = new Session(options, {
    ready: (data) => onReady(data),
    changed: (state) => emit({ type: 'session', session: state }),
    signedOut: () => {
      readying = null;
      ice.stop();
      peers.closeAll();
      core.signedOut();
      files.signedOut();
      keys.signedOut();
      typing.reset();
      reads.signedOut();
      history?.close();
      history = null;
    },
  });
  const notice = (data: EngineNotice, level: 'info' | 'error') => {
    // For developers, in English; the person reads it worded in their language where it is shown.
    console.warn(noticeText(data, 'en'));
    emit({ type: 'notice', notice: data, level });
  };
  const keys = new Keys({ server: session, notice: (data) => notice(data, 'error') });
  const peers = new Peers({
    wrtc: options.wrtc,
    idleCloseMs: options.idleCloseMs,
    connectTimeoutMs: Math.max(options.directTimeoutMs * 3, 15_000),
    iceTransportPolicy: options.iceTransportPolicy,
    me: myName,
    sendSignal: async (to, signal) => {
      await session.request('signal:send', { to, signal });
    },
    onFrame: (from, frame) => routeFrame(from, frame),
    onChunk: (from, chunk) => files.onChunk(from, chunk),
    onLink: (username, link) => {
      files.onLink(username, link);
      emit({ type: 'link', username, link });
    },
    channelAuth: {
      sign: (to, sid, type, sdp) =>
        keys.signChannel({ from: keys.keyring?.user ?? '', to, sid, type, sdp }),
      check: (from, sid, type, sdp, auth) =>
        keys.checkChannel({ from, to: keys.keyring?.user ?? '', sid, type, sdp }, auth),
      learn: (username) => core.learnKey(username),
      refused: (username, why) => {
        if (why === 'no-key' || why === 'key-changed') {
          notice(
            why === 'no-key'
              ? { kind: 'refused-no-key', username }
              : { kind: 'connecting-new-key', username },
            'info',
          );
          return;
        }
        const reason = 'bad-signature';
        notice({ kind: 'impostor', username, reason }, 'error');
        emit({ type: 'impostor', username, reason });
      },
    },
  });
  const ice = new IceKeeper(session, peers);
  const core = createCore({
    server: session,
    peers,
    keys,
    directTimeoutMs: options.directTimeoutMs,
    history: () => history,
    message: messageChanged,
    conversationsChanged,
    social: (state) => emit({ type: 'social', social: state }),
    notice,
    presence: (username, status) => {
      // A peer that went offline will not answer on its old channel; stop waiting on it.
      if (status === 'offline') peers.close(username, `${username} went offline`);
      emit({ type: 'presence', username, status });
    },
  });
  const { social, relationships, delivery } = core;
  // --- files (issue 13) ---
  const files = new Files({
    channels: {
      send: (to, data, deadline) => peers.send(to, data, deadline),
      write: (to, data) => peers.write(to, data),
      buffered: (to) => peers.buffered(to),
      drained: (to, listener) => peers.drained(to, listener),
      link: (to) => peers.link(to),
    },
    check: (peer, exchange) => relationships.check(peer, exchange),
    isOffline: (username) => lastStatus(username) === 'offline',
    groupMembers: (groupId) => social.members(groupId),
    me: myName,
    changed: (file) => emit({ type: 'file', file }),
    notice: (problem, level) => {
      console.warn(fileProblemText(problem, 'en'));
      emit({ type: 'file-notice', problem, level });
    },
    maxFileBytes: options.maxFileBytes ?? LIMITS.fileSizeDefaultMax,
    platform: options,
    connectMs: Math.max(options.directTimeoutMs * 3, 15_000),
  });

  // --- typing indicators and read receipts (issue 12): peer to peer, nothing on the server ---
  const typing = new Typing({
    me: myName,
    send: (to, frame) => {
      const allowed = () => relationships.verdict(to, exchangeOf(frame)).ok;
      peers
        .send(to, encodeFrame(frame), Date.now() + options.directTimeoutMs, allowed)
        .catch(() => undefined);
    },
    recipients: (conversation) => {
      const target = parseConversation(conversation);
      if (target.kind === 'private') {
        const to = target.username;
        const ok = relationships.verdict(to, { kind: 'private' }).ok && reachable(to);
        return ok ? [to] : [];
      }
      // Nobody types into the System conversation (it is read-only): nobody to tell.
      if (target.kind === 'system') return [];
      // A group's members only over channels already open: a hint is not worth a connection each.
      return peers
        .usernames()
        .filter(
          (u) =>
            peers.link(u) === 'direct' &&
            relationships.verdict(u, { kind: 'group', groupId: target.groupId }).ok,
        );
    },
    accepts: async (from, exchange) => (await relationships.check(from, exchange)).ok,
    changed: (conversation, usernames) => emit({ type: 'typing', conversation, usernames }),
  });
  const reads = new Reads({
    history: () => history,
    me: myName,
    reachable: (username) => reachable(username),
    direct: (username) => peers.link(username) === 'direct',
    send: async (to, frame, exchange) => {
      const allowed = () => relationships.verdict(to, exchange).ok;
      await peers.send(to, frame, Date.now() + options.directTimeoutMs, allowed);
    },
    accepts: (from, exchange) => relationships.verdict(from, exchange).ok,
    settled: (id) => delivery.settled(id),
    changed: messageChanged,
  });
  const exchangeOf = (frame: { groupId?: number }) =>
    frame.groupId === undefined
      ? ({ kind: 'private' } as const)
      : ({ kind: 'group', groupId: frame.groupId } as const);
  /** Worth a frame: a channel is open, or the server last saw them online. */
  const reachable = (username: string) =>
    peers.link(username) === 'direct' || (lastStatus(username) ?? 'offline') !== 'offline';
  function routeFrame(from: string, frame: PeerFrame): void {
    if (isFileFrame(frame)) files.onFrame(from, frame);
    else if (frame.type === 'typing') void typing.onFrame(from, frame).catch(() => undefined);
    else if (frame.type === 'read') void reads.onFrame(from, frame).catch(() => undefined);
    else core.onFrame(from, frame);
  }
  // --- end of typing indicators and read receipts ---

  session.on('signal', ({ from, signal }) => peers.onSignal(from, signal));
  session.on('relation:ended', ({ username }) => peers.close(username, 'relation ended'));

  async function onReady(data: SessionReady): Promise<void> {
    const me = data.user.username;
    readying = me;
    // Read before anything is written (group events, the stored mail): a browser new for the
    // account is one whose history was empty when it opened (a reconnect keeps it open).
    let firstInBrowser = false;
    if (history?.user !== me) {
      history?.close();
      history = await History.open(me, options);
      firstInBrowser = history.conversationsNow().length === 0;
    }
    const password = signingIn && sameUsername(signingIn.username, me) ? signingIn.password : null;
    signingIn = null;
    let keySetup: KeySetup = 'kept';
    if (keys.keyring?.user !== me || !keys.keyring.isOpen) {
      keys.signedOut();
      const keyring = await Keyring.open(me, options, (trust) => emit({ type: 'trust', trust }));
      try {
        keySetup = await keys.establish(keyring, me, password);
      } catch (err) {
        keys.signedOut();
        if (!(err instanceof KeysLocked)) throw err;
        // Nothing can be read or sent without the keys: back to the sign-in, saying why.
        await session.logout(err.message, err.reason);
        return;
      }
    } else if (password !== null) {
      keySetup = await keys.establish(keys.keyring, me, password);
    }
    ice.apply(data);
    await core.signedIn();
    await files.signedIn(me);
    void reconcile();
    conversationsChanged();
    const before = { ...core.inbox.stored };
    const opening = history;
    // Not awaited: the session is usable while old mail and the outbox drain in the background.
    void core.drain(() => {
      // Signed out (or into another account) meanwhile: this outcome is nobody's now.
      if (history !== opening) return;
      emit({
        type: 'signed-in',
        outcome: {
          username: me,
          firstInBrowser,
          keysRestored: keySetup === 'restored',
          storedOpened: core.inbox.stored.opened - before.opened,
          storedUnreadable: core.inbox.stored.unreadable - before.unreadable,
        },
      });
    });
  }

  /**
   * After every sign-in (a reconnect above all): what changed while we were away applies now. A
   * channel that nothing allows any more, or to someone the server now lists as offline (the rule
   * of a live 'offline' notice), is closed.
   */
  async function reconcile(): Promise<void> {
    for (const username of peers.usernames()) {
      const stillRelated = await relationships.related(username).catch(() => true);
      if (!stillRelated) peers.close(username, 'relation ended');
      else if (lastStatus(username) === 'offline')
        peers.close(username, `${username} went offline`);
    }
  }

  const lastStatus = (username: string) =>
    social.friend(username)?.status ?? relationships.memberStatus(username);
  const presenceOf = (username: string) => contactPresence(session.state, lastStatus(username));

  const requireHistory = (): History => {
    if (!history) throw new EngineError({ code: 'UNAUTHENTICATED', message: 'sign in first' });
    return history;
  };

  const engine: ChatEngine = {
    get session() {
      return session.state;
    },
    get social() {
      return social.state;
    },
    on: (listener) => emitter.on(listener),

    register: (username, password) => {
      signingIn = { username, password };
      return session.register(username, password).finally(() => (signingIn = null));
    },
    login: (username, password) => {
      signingIn = { username, password };
      return session.login(username, password).finally(() => (signingIn = null));
    },
    async logout() {
      // Peers first, while the server still says I am online: a friend hears the last frames
      // (a cancelled file, an ack) before they hear I left.
      await peers.closeAllFlushed(LOGOUT_FLUSH_MS);
      await session.logout();
    },
    resume: () => session.resume(),
    setStatus: (status) => session.setStatus(status),

    addFriend: (username) => social.addFriend(username),
    respondFriend: (username, accept) => social.respondFriend(username, accept),
    removeFriend: (username) => social.removeFriend(username),
    createGroup: (name) => social.createGroup(name),
    deleteGroup: (groupId) => social.deleteGroup(groupId),
    inviteToGroup: (groupId, username) => social.inviteToGroup(groupId, username),
    respondGroupInvite: (groupId, accept) => social.respondGroupInvite(groupId, accept),
    kickFromGroup: (groupId, username) => social.kickFromGroup(groupId, username),
    leaveGroup: (groupId) => social.leaveGroup(groupId),
    setGroupRole: (groupId, username, role) => social.setGroupRole(groupId, username, role),
    groupMembers: (groupId) => social.members(groupId),

    rooms: {
      list: (opts = {}) => session.request('rooms:list', opts),
      join: (groupId) => social.joinRoom(groupId),
      setPublic: (groupId, open) => social.setGroupPublic(groupId, open),
    },

    sendPrivate: (username, text) => delivery.sendPrivate(username, text),
    sendGroup: (groupId, text) => delivery.sendGroup(groupId, text),
    // --- retry / delete of a failed message (issue 12) ---
    retryMessage: (conversation, id) => delivery.retry(conversation, id),
    deleteMessage: (conversation, id) => delivery.delete(conversation, id),
    conversations: async () => (history ? history.conversations() : []),
    history: async (conversation, page) => requireHistory().page(conversation, page),
    async markRead(conversation: ConversationId) {
      await requireHistory().markRead(conversation);
      conversationsChanged();
    },
    // --- typing indicators and read receipts (issue 12) ---
    typing: (conversation, text) => {
      if (session.state.phase === 'ready') typing.input(conversation, text);
    },
    typingIn: (conversation) => typing.who(conversation),
    readReceipt: (conversation) => reads.seen(conversation),
    setReadReceipts: (on) => reads.setEnabled(on),
    // --- search of local history ---
    searchHistory: async (query, opts) => requireHistory().search(query, opts),
    historyAround: async (conversation, at, limit) =>
      requireHistory().around(conversation, at, limit),
    historyAfter: async (conversation, after, limit) =>
      requireHistory().pageAfter(conversation, after, limit),
    link: (username) => peers.link(username),
    presence: presenceOf,

    trust: (username) =>
      keys.keyring?.trust(username) ?? {
        username,
        state: 'none',
        verified: false,
        wasVerified: false,
      },
    keyChanges: () => keys.keyring?.changes() ?? [],
    safetyNumber: (username, opts) => keys.keyring?.safetyNumber(username, opts?.pending) ?? null,
    async acceptKey(username) {
      const keyring = keys.keyring;
      if (!keyring) throw new EngineError({ code: 'UNAUTHENTICATED', message: 'sign in first' });
      if (await keyring.accept(username)) await core.keyAccepted(username);
    },
    async setVerified(username, verified) {
      const keyring = keys.keyring;
      if (!keyring) throw new EngineError({ code: 'UNAUTHENTICATED', message: 'sign in first' });
      try {
        await keyring.setVerified(username, verified);
      } catch (err) {
        throw new EngineError({
          code: 'BAD_REQUEST',
          message: (err as Error).message,
          details: { reason: 'no-settled-key', username },
        });
      }
    },
    async changePassword(oldPassword, newPassword) {
      const me = session.state.user?.username;
      if (!me) throw new EngineError({ code: 'UNAUTHENTICATED', message: 'sign in first' });
      const backup = await keys.rewrap(me, newPassword);
      await session.request('auth:changePassword', { oldPassword, newPassword, backup });
    },

    files: {
      sendPrivate: (to, file, name, opts) => files.sendPrivate(to, file, name, opts),
      sendGroup: (groupId, file, name, opts) => files.sendGroup(groupId, file, name, opts),
      pause: (key) => files.pause(key),
      resume: (key) => files.resume(key),
      cancel: (key) => files.cancel(key),
      list: () => files.list(),
      blob: (key) => files.blob(key),
      usage: () => files.usage(),
      clear: () => files.clear(),
      remove: (key) => files.remove(key),
      resend: (key, file) => files.resend(key, file),
    },

    runCommand: (line, commandOptions) =>
      runCommand(
        {
          engine,
          refreshGroups: () => social.refreshGroups(),
          settleMs: options.directTimeoutMs * 2 + 2_000,
        },
        line,
        commandOptions,
      ),

    admin: {
      users: (onlineOnly = false) => session.request('admin:users', { onlineOnly }),
      groups: () => session.request('admin:groups', {}),
      sendUser: async (username, text) => {
        await session.request('admin:sendUser', { username, text });
      },
      sendGroup: async (group, creator, text) => {
        await session.request('admin:sendGroup', { group, creator, text });
      },
      broadcast: async (text) => {
        await session.request('admin:broadcast', { text });
      },
      setUserBlocked: async (username, blocked) => {
        await session.request(blocked ? 'admin:blockUser' : 'admin:unblockUser', { username });
      },
      setGroupBlocked: async (group, blocked) => {
        await session.request(blocked ? 'admin:blockGroup' : 'admin:unblockGroup', group);
      },
      log: () => session.request('admin:log', {}),
    },

    async destroy() {
      if (destroyed) return;
      destroyed = true;
      // Stop delivery first so in-flight sends leave the outbox alone rather than fail it.
      delivery.stop();
      if (conversationsTimer !== null) clearTimeout(conversationsTimer);
      conversationsTimer = null;
      session.close();
      ice.stop();
      peers.closeAll();
      files.signedOut();
      keys.signedOut();
      typing.reset();
      history?.close();
      history = null;
      emitter.clear();
    },
  };
  return engine;
}
