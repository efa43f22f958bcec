/**
 * The app's state: one object that mirrors the engine (session, friends and groups, conversation
 * list, link states) through `engine.on(...)`, plus what only the UI cares about (which pane is
 * showing, the open conversation, toasts). Components read it and act only through its methods;
 * what they show changes only in response to the engine's events (a sent message reaches the view
 * once, by its 'message' event).
 */
import { SvelteMap } from 'svelte/reactivity';
import { sameUsername } from '../../../shared/names.ts';
import {
  contactPresence,
  parseConversation,
  type ChatEngine,
  type ContactPresence,
  type Conversation,
  type ConversationId,
  type EngineEvent,
  type LinkState,
  type SessionState,
  type SocialState,
} from '../core/api.ts';
import type { PresenceStatus, SettableStatus } from '../../../shared/limits.ts';
import type { GroupInfo } from '../../../shared/events.ts';
import { ConversationView } from './conversation.svelte.ts';
import { errorText } from './format.ts';
import { i18n } from './i18n/locale.svelte.ts';
import { NoticeLog } from './notices.svelte.ts';
import { Security } from './security.svelte.ts';
import { credentialCommand } from './credential-command.ts';

export type Route =
  { kind: 'home' } | { kind: 'chat'; id: ConversationId } | { kind: 'admin' } | { kind: 'account' };

export interface Toast {
  id: number;
  text: string;
  level: 'info' | 'error';
}

const TOAST_MS = 6_000;

export class AppState {
  session: SessionState;
  social: SocialState;
  conversations = $state.raw<Conversation[]>([]);
  readonly links = new SvelteMap<string, LinkState>();
  toasts = $state.raw<Toast[]>([]);
  /** True until the stored token has been tried. */
  booting = $state(true);

  route = $state.raw<Route>({ kind: 'home' });
  /** On a phone only one pane shows at a time: the lists, or what the route points at. */
  pane = $state<'list' | 'main'>('list');
  active = $state.raw<ConversationView | null>(null);
  /** Command output typed on the home pane, where no conversation is open. */
  readonly console = new NoticeLog();
  /** Contacts' keys (end-to-end encryption) and the connections refused in their name. */
  readonly security: Security;

  // --- new browser note (issue 12) ---
  /**
   * True once, when this browser holds no history for the account: history lives in each browser,
   * so a new one starts empty, and saying so beats letting it look like lost messages.
   */
  historyNote = $state(false);

  #toastId = 0;
  // Timer handles, never shown: a plain Map on purpose (nothing should re-render on them).
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #toastTimers = new Map<number, ReturnType<typeof setTimeout>>();
  readonly #off: () => void;

  constructor(readonly engine: ChatEngine) {
    this.session = $state.raw(engine.session);
    this.social = $state.raw(engine.social);
    this.security = new Security(engine, () => this.session);
    this.#off = engine.on((event) => this.#apply(event));
  }

  get user() {
    return this.session.user;
  }

  /** A contact's presence as shown: unknown while the server is away, not a stale green. */
  presence(status: PresenceStatus | undefined): ContactPresence {
    return contactPresence(this.session, status);
  }

  get isAdmin(): boolean {
    return this.session.user?.isAdmin === true;
  }

  async start(): Promise<void> {
    try {
      await this.engine.resume();
    } catch {
      // A dead token lands on the sign-in screen, which shows session.endedBecause.
    } finally {
      this.booting = false;
    }
  }

  dispose(): void {
    this.#off();
  }

  #apply(event: EngineEvent): void {
    switch (event.type) {
      case 'session': {
        const wasIn = this.session.user !== null;
        this.session = event.session;
        if (event.session.phase === 'signed-out') this.#reset();
        else if (event.session.phase === 'ready' && !wasIn) void this.refreshConversations();
        else if (event.session.phase === 'ready') void this.active?.load();
        break;
      }
      case 'social':
        this.social = event.social;
        // From the engine's cache, which asks the server again only after a membership event.
        void this.active?.refreshMembers();
        break;
      case 'presence':
        this.social = {
          ...this.social,
          friends: this.social.friends.map((f) =>
            sameUsername(f.username, event.username) ? { ...f, status: event.status } : f,
          ),
        };
        // The member list follows presence from the event; no round trip to the server.
        this.active?.presenceChanged(event.username, event.status);
        break;
      case 'message':
        if (this.active?.id === event.message.conversation) {
          this.active.upsert(event.message);
          if (!sameUsername(event.message.from, this.user?.username ?? '') && !document.hidden) {
            void this.active.markRead();
          }
        }
        break;
      case 'conversations':
        this.conversations = event.conversations;
        break;
      case 'link':
        this.links.set(event.username, event.link);
        break;
      case 'notice':
        this.toast(event.text, event.level);
        break;
      case 'trust': {
        const before = this.security.trustChanged(event.trust);
        const name = event.trust.username;
        const viewing =
          this.active?.target.kind === 'private' && sameUsername(this.active.target.username, name);
        // The open conversation shows its own banner; elsewhere the change would go unseen.
        if (event.trust.state === 'changed' && before?.state !== 'changed' && !viewing) {
          this.toast(
            i18n.t.banners.keyChangedToast(name),
            event.trust.wasVerified ? 'error' : 'info',
          );
        }
        break;
      }
      case 'impostor':
        // The engine's 'notice' for it is the toast; this keeps it in the conversation.
        this.security.impostor(event.username, event.reason);
        break;
    }
  }

  #reset(): void {
    this.route = { kind: 'home' };
    this.pane = 'list';
    this.active = null;
    this.conversations = [];
    this.links.clear();
    this.console.clear();
    this.security.clear();
    this.historyNote = false;
  }

  /** Shows the new-browser note if this browser has no history for the account and never showed it. */
  #noteNewBrowser(): void {
    const user = this.user?.username;
    if (!user || this.conversations.length > 0) return;
    const key = `p2sp:history-note:${user.toLowerCase()}`;
    try {
      if (localStorage.getItem(key)) return;
      localStorage.setItem(key, '1');
    } catch {
      // Storage refused (private mode): the note may then show again, which is harmless.
    }
    this.historyNote = true;
  }

  dismissHistoryNote(): void {
    this.historyNote = false;
  }

  async refreshConversations(): Promise<void> {
    try {
      this.conversations = await this.engine.conversations();
      this.#noteNewBrowser();
    } catch (e) {
      this.toast(i18n.t.app.conversationsFailed(errorText(e)), 'error');
    }
  }

  toast(text: string, level: Toast['level'] = 'info'): void {
    // One event can reach the engine from several paths (a relation ending, then the social
    // refresh it causes): the same words twice in a row say nothing new, so a toast already
    // showing is kept (and its timer restarted) instead of stacked.
    const same = this.toasts.find((t) => t.text === text && t.level === level);
    if (same) {
      this.toasts = [...this.toasts.filter((t) => t !== same), same];
      clearTimeout(this.#toastTimers.get(same.id));
      this.#toastTimers.set(
        same.id,
        setTimeout(() => this.dismiss(same.id), TOAST_MS),
      );
      return;
    }
    const id = ++this.#toastId;
    this.toasts = [...this.toasts, { id, text, level }].slice(-4);
    this.#toastTimers.set(
      id,
      setTimeout(() => this.dismiss(id), TOAST_MS),
    );
  }

  dismiss(id: number): void {
    this.#toastTimers.delete(id);
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }

  // --- navigation ---

  open(id: ConversationId): void {
    this.route = { kind: 'chat', id };
    this.pane = 'main';
    if (this.active?.id === id) return;
    this.active = new ConversationView(this.engine, id);
    void this.active.load();
  }

  openAdmin(): void {
    this.route = { kind: 'admin' };
    this.pane = 'main';
  }

  openAccount(): void {
    this.route = { kind: 'account' };
    this.pane = 'main';
  }

  openHome(): void {
    this.route = { kind: 'home' };
    this.pane = 'main';
    this.active = null;
  }

  back(): void {
    this.pane = 'list';
  }

  // --- lookups for views ---

  link(username: string): LinkState {
    return this.links.get(username) ?? this.engine.link(username);
  }

  conversation(id: ConversationId): Conversation | undefined {
    return this.conversations.find((c) => c.id === id);
  }

  group(groupId: number): GroupInfo | undefined {
    return this.social.groups.find((g) => g.id === groupId);
  }

  // --- actions: what components may ask of the engine ---

  login = (username: string, password: string) => this.engine.login(username, password);
  register = (username: string, password: string) => this.engine.register(username, password);
  logout = () => this.engine.logout();
  setStatus = (status: SettableStatus) => this.engine.setStatus(status);
  addFriend = (username: string) => this.engine.addFriend(username);
  respondFriend = (username: string, accept: boolean) =>
    this.engine.respondFriend(username, accept);
  respondGroupInvite = (groupId: number, accept: boolean) =>
    this.engine.respondGroupInvite(groupId, accept);
  removeFriend = (username: string) => this.engine.removeFriend(username);
  createGroup = (name: string) => this.engine.createGroup(name);
  deleteGroup = (groupId: number) => this.engine.deleteGroup(groupId);
  inviteToGroup = (groupId: number, username: string) =>
    this.engine.inviteToGroup(groupId, username);
  kickFromGroup = (groupId: number, username: string) =>
    this.engine.kickFromGroup(groupId, username);
  leaveGroup = (groupId: number) => this.engine.leaveGroup(groupId);
  setGroupRole = (groupId: number, username: string, role: 'admin' | 'member') =>
    this.engine.setGroupRole(groupId, username, role);

  /** Re-wraps the key backup with the new password too; rejects with the server's error. */
  async changePassword(oldPassword: string, newPassword: string): Promise<void> {
    await this.engine.changePassword(oldPassword, newPassword);
    this.toast(i18n.t.password.changed);
  }

  /** Sends into a conversation; the message shows by the engine's events, not by this result. */
  async send(conversation: ConversationId, text: string): Promise<void> {
    const target = parseConversation(conversation);
    if (target.kind === 'private') await this.engine.sendPrivate(target.username, text);
    else await this.engine.sendGroup(target.groupId, text);
  }

  // --- the command bar ---

  /** Runs a `/` command; its outcome lands in `log` as a local notice. */
  async runCommand(line: string, log: NoticeLog): Promise<void> {
    // The echo of a /reg or /login shows the password masked; the engine gets it as typed.
    const shown = credentialCommand(line)?.shown ?? line;
    try {
      const outcome = await this.engine.runCommand(line);
      if (outcome.ok) {
        log.add({ command: shown, lines: outcome.lines, level: 'info' });
        if (outcome.openConversation) this.open(outcome.openConversation);
      } else {
        const lines = [outcome.message];
        if (outcome.usage && !outcome.message.includes(outcome.usage)) {
          lines.push(i18n.t.notice.usage(outcome.usage));
        }
        log.add({ command: shown, lines, level: 'error' });
      }
    } catch (e) {
      log.add({ command: shown, lines: [errorText(e)], level: 'error' });
    }
  }
}
