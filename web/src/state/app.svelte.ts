/**
 * The app's state: one object that mirrors the engine (session, friends and groups, conversation
 * list, link states) through `engine.on(...)`, plus what only the UI cares about (which pane is
 * showing, the open conversation, toasts). Components read it and act only through its methods;
 * what they show changes only in response to the engine's events (a sent message reaches the view
 * once, by its 'message' event).
 */
import { FilesState } from './files.svelte.ts';
import { SvelteMap, SvelteSet } from 'svelte/reactivity';
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
  type SignInOutcome,
  type SocialState,
} from '../core/api.ts';
import type { PresenceStatus, SettableStatus } from '../../../shared/limits.ts';
import type { GroupInfo } from '../../../shared/events.ts';
import { conversationLink, type ConversationLink } from './conversation-link.ts';
import { Attention } from './attention.svelte.ts';
import { ConversationView } from './conversation.svelte.ts';
import { engineNotice, errorText, fileProblem } from './format.ts';
import { i18n } from './i18n/locale.svelte.ts';
import { NoticeLog } from './notices.svelte.ts';
import { Security } from './security.svelte.ts';
import { credentialCommand } from './credential-command.ts';
// --- search and routes (hash URLs, opening on the last conversation) ---
import { MAX_QUERY, parseHash, routeToHash, type Navigator, type Route } from './routes.ts';
import { SearchState } from './search.svelte.ts';
import { ReadReceiptsSetting } from './reads.svelte.ts';
import { m } from '../paraglide/messages.js';

export type { Route } from './routes.ts';

export interface Toast {
  id: number;
  text: string;
  level: 'info' | 'error';
}

const TOAST_MS = 6_000;

/** What the new-browser note says: the sign-in's outcome as the engine told it. */
export interface HistoryNote {
  keysRestored: boolean;
  /** Stored messages opened here: the note counts them, or says the browser starts empty. */
  opened: number;
  /** Stored copies no key here opened: said after, when there were any. */
  unreadable: number;
}

export class AppState {
  session: SessionState;
  social: SocialState;
  conversations = $state.raw<Conversation[]>([]);
  readonly links = new SvelteMap<string, LinkState>();
  /**
   * Conversation header (issue 12): peers whose direct attempt fell back to the server since
   * their presence last changed (see conversation-link.ts).
   */
  readonly fellBack = new SvelteSet<string>();
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
  /** File transfers (issue 13): their own state, fed by the engine's 'file' events. */
  readonly files: FilesState;
  /** Everyday basics: unread count in the tab title and favicon, desktop notifications. */
  readonly attention: Attention;
  /** Read receipts on or off (issue 12). */
  readonly readReceipts: ReadReceiptsSetting;

  // --- new browser note (issue 12) ---
  /**
   * Once per account in a browser that held no history for it: history lives in each browser, so
   * a new one starts with only what the server kept meanwhile, and saying so beats letting it look
   * like lost messages. Null when there is nothing to say.
   */
  historyNote = $state.raw<HistoryNote | null>(null);

  #toastId = 0;
  // Timer handles, never shown: a plain Map on purpose (nothing should re-render on them).
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #toastTimers = new Map<number, ReturnType<typeof setTimeout>>();
  readonly #off: () => void;

  /** Search of local history; its view is loaded when first opened. */
  readonly search: SearchState;

  /** `nav` is the page's URL; without one (Node tests) routes are not written anywhere. */
  constructor(
    readonly engine: ChatEngine,
    private readonly nav: Navigator | null = null,
  ) {
    this.search = new SearchState(engine);
    this.session = $state.raw(engine.session);
    this.social = $state.raw(engine.social);
    this.security = new Security(engine, () => this.session);
    this.files = new FilesState(engine);
    this.readReceipts = new ReadReceiptsSetting(engine);
    this.#off = engine.on((event) => this.#apply(event));
    this.attention = new Attention(engine, this);
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
    this.files.dispose();
    this.attention.dispose();
  }

  #apply(event: EngineEvent): void {
    switch (event.type) {
      case 'session': {
        const wasIn = this.session.user !== null;
        this.session = event.session;
        if (event.session.phase === 'signed-out') this.#reset();
        else if (event.session.phase === 'ready' && !wasIn)
          void this.refreshConversations().then(() => this.#land());
        // A reconnect adds to the open chat in place; reloading it moved the reader (issue 12).
        else if (event.session.phase === 'ready') void this.active?.refresh();
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
        // A presence change is a fresh start for the header's "Via server" (issue 12).
        this.fellBack.delete(event.username);
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
      case 'signed-in':
        if (event.outcome.firstInBrowser) this.#noteNewBrowser(event.outcome);
        break;
      case 'link':
        // Conversation header (issue 12): an attempt that ends without a channel fell back.
        if (event.link === 'direct') this.fellBack.delete(event.username);
        else if (event.link === 'offline-store' && this.link(event.username) === 'connecting')
          this.fellBack.add(event.username);
        this.links.set(event.username, event.link);
        break;
      case 'notice':
        this.toast(engineNotice(event.notice), event.level);
        break;
      case 'file-notice':
        this.toast(fileProblem(event.problem), event.level);
        break;
      case 'trust': {
        const before = this.security.trustChanged(event.trust);
        const name = event.trust.username;
        const viewing =
          this.active?.target.kind === 'private' && sameUsername(this.active.target.username, name);
        // The open conversation shows its own banner; elsewhere the change would go unseen.
        if (event.trust.state === 'changed' && before?.state !== 'changed' && !viewing) {
          this.toast(
            m.banners_keyChangedToast({ name }),
            event.trust.wasVerified ? 'error' : 'info',
          );
        }
        break;
      }
      case 'typing':
        // Typing indicators (issue 12): the open conversation shows them under its header.
        if (this.active?.id === event.conversation) this.active.typing = event.usernames;
        break;
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
    this.fellBack.clear();
    this.console.clear();
    this.security.clear();
    this.search.clear();
    this.nav?.clear();
    this.historyNote = null;
  }

  /**
   * The engine found no history for the account when this sign-in opened it (before the stored
   * mail was written, which the conversation list already shows): the note, unless this browser
   * showed it to the account before.
   */
  #noteNewBrowser(outcome: SignInOutcome): void {
    const key = `p2sp:history-note:${outcome.username.toLowerCase()}`;
    try {
      if (localStorage.getItem(key)) return;
      localStorage.setItem(key, '1');
    } catch {
      // Storage refused (private mode): the note may then show again, which is harmless.
    }
    this.historyNote = {
      keysRestored: outcome.keysRestored,
      opened: outcome.storedOpened,
      unreadable: outcome.storedUnreadable,
    };
  }

  dismissHistoryNote(): void {
    this.historyNote = null;
  }

  async refreshConversations(): Promise<void> {
    try {
      this.conversations = await this.engine.conversations();
    } catch (e) {
      this.toast(m.app_conversationsFailed({ error: errorText(e) }), 'error');
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

  // --- navigation: each view the user opens is a URL (routes.ts), so back and reload work ---

  open(id: ConversationId): void {
    this.#show({ kind: 'chat', id });
    this.nav?.push(routeToHash(this.route));
  }

  /** Opens a message's conversation scrolled to it and highlighted (a search result). */
  openMessage(message: { id: string; sentAt: number; conversation: ConversationId }): void {
    this.route = { kind: 'chat', id: message.conversation };
    this.pane = 'main';
    this.active = new ConversationView(this.engine, message.conversation);
    void this.active.openAt(message);
    this.#remember(message.conversation);
    this.nav?.push(routeToHash(this.route));
  }

  openAdmin(): void {
    this.#show({ kind: 'admin' });
    this.nav?.push(routeToHash(this.route));
  }

  openAccount(): void {
    this.#show({ kind: 'account' });
    this.nav?.push(routeToHash(this.route));
  }

  openHome(): void {
    this.#show({ kind: 'home' });
    this.nav?.push(routeToHash(this.route));
  }

  openSearch(q = this.search.query): void {
    this.#show({ kind: 'search', q });
    this.nav?.push(routeToHash(this.route));
  }

  /** Typing in the search box: the URL follows in place, one history entry per search view. */
  searchFor(q: string): void {
    const query = q.slice(0, MAX_QUERY);
    this.search.setQuery(query);
    if (this.route.kind !== 'search') return;
    this.route = { kind: 'search', q: query };
    this.nav?.replace(routeToHash(this.route));
  }

  /** The URL changed under us (back/forward, an edited address): show what it names. */
  followUrl(): void {
    if (!this.nav || !this.user) return;
    const route = parseHash(this.nav.read());
    if (!route || routeToHash(route) === routeToHash(this.route)) return;
    this.#show(route);
  }

  #show(route: Route): void {
    this.route = route;
    this.pane = 'main';
    if (route.kind === 'search') this.search.setQuery(route.q);
    if (route.kind !== 'chat') {
      this.active = null;
      return;
    }
    this.#remember(route.id);
    if (this.active?.id === route.id) return;
    this.active = new ConversationView(this.engine, route.id);
    void this.active.load();
  }

  #remember(id: ConversationId): void {
    const user = this.user?.username;
    if (user) this.nav?.rememberConversation(user, id);
  }

  /**
   * After sign-in: the view the URL names (a reload), else the conversation last opened in this
   * browser, else the newest one; the command console only when there is no conversation at all.
   */
  #land(): void {
    const user = this.user?.username;
    if (!this.nav || !user || this.route.kind !== 'home') return;
    const named = parseHash(this.nav.read());
    if (named) {
      if (named.kind !== 'home') this.#show(named);
      return;
    }
    const last = this.nav.lastConversation(user);
    const known = (id: string | null): id is ConversationId =>
      id !== null &&
      (this.conversations.some((c) => c.id === id) ||
        this.social.friends.some((f) => `u:${f.username}` === id) ||
        this.social.groups.some((g) => `g:${g.id}` === id));
    const id = known(last) ? last : this.conversations[0]?.id;
    if (!id) return;
    this.#show({ kind: 'chat', id });
    // Chosen by the app, not the user: the same history entry, so back leaves the app.
    this.nav.replace(routeToHash(this.route));
  }

  back(): void {
    this.pane = 'list';
  }

  // --- lookups for views ---

  link(username: string): LinkState {
    return this.links.get(username) ?? this.engine.link(username);
  }

  /** What a private conversation's header says (issue 12): channel state and presence. */
  conversationLink(username: string): ConversationLink {
    const status = this.social.friends.find((f) => sameUsername(f.username, username))?.status;
    return conversationLink(
      this.link(username),
      this.presence(status),
      this.fellBack.has(username),
    );
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

  // --- rooms (public groups, issue 12) ---
  openRooms(): void {
    this.#show({ kind: 'rooms' });
    this.nav?.push(routeToHash(this.route));
  }
  listRooms = (options: { query?: string; limit?: number; offset?: number }) =>
    this.engine.rooms.list(options);
  joinRoom = (groupId: number) => this.engine.rooms.join(groupId);
  setGroupPublic = (groupId: number, open: boolean) => this.engine.rooms.setPublic(groupId, open);

  /** Re-wraps the key backup with the new password too; rejects with the server's error. */
  async changePassword(oldPassword: string, newPassword: string): Promise<void> {
    await this.engine.changePassword(oldPassword, newPassword);
    this.toast(m.password_changed());
  }

  /** Sends into a conversation; the message shows by the engine's events, not by this result. */
  async send(conversation: ConversationId, text: string): Promise<void> {
    const target = parseConversation(conversation);
    // The composer is closed there; this is the rule for any other caller.
    if (target.kind === 'system') throw new Error(m.conversation_systemClosed());
    if (target.kind === 'private') await this.engine.sendPrivate(target.username, text);
    else await this.engine.sendGroup(target.groupId, text);
  }

  // --- the command bar ---

  /** Runs a `/` command; its outcome lands in `log` as a local notice. */
  async runCommand(line: string, log: NoticeLog): Promise<void> {
    // The echo of a /reg or /login shows the password masked; the engine gets it as typed.
    const shown = credentialCommand(line)?.shown ?? line;
    try {
      // The engine's lines in the interface's language (web/src/core/text.ts).
      const outcome = await this.engine.runCommand(line, {
        lang: i18n.lang === 'zh-CN' ? 'zh' : 'en',
      });
      if (outcome.ok) {
        log.add({ command: shown, lines: outcome.lines, level: 'info' });
        if (outcome.openConversation) this.open(outcome.openConversation);
      } else {
        const lines = [outcome.message];
        if (outcome.usage && !outcome.message.includes(outcome.usage)) {
          lines.push(m.notice_usage({ usage: outcome.usage }));
        }
        log.add({ command: shown, lines, level: 'error' });
      }
    } catch (e) {
      log.add({ command: shown, lines: [errorText(e)], level: 'error' });
    }
  }
}
