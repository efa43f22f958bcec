/**
 * Applies attention.ts to the page: keeps the tab title and favicon in step with the unread count,
 * shows a desktop notification for a message that arrives while the tab is hidden, and marks the
 * open conversation read when the person comes back to the tab. The browser's permission is asked
 * for only from a click (the offer after the first message of a session, or the setting), never on
 * load: a prompt nobody asked for is the one people answer "block".
 */
import type { ChatEngine, ChatMessage, ConversationId } from '../core/api.ts';
import {
  faviconHref,
  notificationText,
  shouldNotify,
  tabTitle,
  unreadTotal,
  type NotifyPermission,
} from './attention.ts';
import type { AppState } from './app.svelte.ts';
import { m } from '../paraglide/messages.js';
import { i18n } from './i18n/locale.svelte.ts';

const SETTING_KEY = 'p2sp.notify';
const OFFER_KEY = 'p2sp.notify.offered';
/** Ids already notified: a message can be emitted again (a late state, a re-read page). */
const SEEN_MAX = 500;

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Without storage the choice lasts for this page only.
  }
}

function currentPermission(): NotifyPermission {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

export class Attention {
  readonly #app: AppState;
  /** The person's setting; on unless they turned it off. */
  enabled = $state(read(SETTING_KEY) !== 'off');
  permission = $state<NotifyPermission>(currentPermission());
  /** The offer to turn notifications on is showing (after a message, once per browser). */
  offering = $state(false);
  readonly unread: number;

  // Bookkeeping no view reads, so not reactive.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #seen = new Set<string>();
  readonly #off: () => void;
  readonly #stopEffects: () => void;
  readonly #onVisible = () => {
    // Back on the tab: what the open conversation received meanwhile has now been seen.
    if (document.visibilityState === 'visible' && this.#app.route.kind === 'chat') {
      void this.#app.active?.markRead();
    }
  };

  constructor(engine: ChatEngine, app: AppState) {
    this.#app = app;
    this.unread = $derived(unreadTotal(app.conversations));
    this.#off = engine.on((event) => {
      if (event.type === 'message') this.#message(event.message);
    });
    // The engine also runs under Node (tests, the terminal client), where there is no page.
    const page = typeof document !== 'undefined';
    this.#stopEffects = page
      ? $effect.root(() => {
          $effect(() => {
            document.title = tabTitle(this.unread);
            setFavicon(faviconHref(this.unread));
          });
        })
      : () => {};
    if (page) document.addEventListener('visibilitychange', this.#onVisible);
  }

  dispose(): void {
    this.#off();
    this.#stopEffects();
    if (typeof document !== 'undefined') {
      document.removeEventListener('visibilitychange', this.#onVisible);
    }
  }

  /** The setting: turning it on asks the browser first when it has not been asked. */
  async setEnabled(on: boolean): Promise<void> {
    this.enabled = on;
    write(SETTING_KEY, on ? 'on' : 'off');
    if (on && this.permission === 'default') await this.requestPermission();
  }

  /** Only from a click: browsers ignore (or punish) a permission prompt without a user gesture. */
  async requestPermission(): Promise<void> {
    this.offering = false;
    write(OFFER_KEY, '1');
    if (typeof Notification === 'undefined') return;
    try {
      this.permission = await Notification.requestPermission();
    } catch {
      this.permission = currentPermission();
    }
    if (this.permission === 'granted') {
      this.enabled = true;
      write(SETTING_KEY, 'on');
    }
  }

  declineOffer(): void {
    this.offering = false;
    write(OFFER_KEY, '1');
  }

  #message(message: ChatMessage): void {
    const me = this.#app.user?.username;
    // A group event ("bob joined") is not chatting yet: no offer for it, and no notification.
    if (!me || message.event) return;
    // The first message sent or received is the moment the offer makes sense: chatting has begun.
    if (
      !this.offering &&
      this.permission === 'default' &&
      this.enabled &&
      read(OFFER_KEY) === null
    ) {
      this.offering = true;
    }
    this.permission = currentPermission();
    const ctx = {
      me,
      hidden: typeof document !== 'undefined' && document.visibilityState === 'hidden',
      enabled: this.enabled,
      permission: this.permission,
    };
    if (!shouldNotify(message, ctx) || this.#seen.has(message.id)) return;
    this.#seen.add(message.id);
    if (this.#seen.size > SEEN_MAX) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    this.#show(message);
  }

  #show(message: ChatMessage): void {
    const { title, body } = notificationText(
      message,
      this.#app.conversation(message.conversation)?.title ?? this.#groupName(message.conversation),
      (from) => m.message_system({ from }),
    );
    try {
      const notification = new Notification(title, {
        body,
        // One notification per conversation: a burst of messages replaces, not stacks.
        tag: message.conversation,
        lang: i18n.lang,
        icon: faviconHref(0),
      });
      notification.onclick = () => {
        window.focus();
        this.#app.open(message.conversation);
        notification.close();
      };
    } catch {
      // Chromium on Android refuses `new Notification` (service workers only); the title still counts.
    }
  }

  #groupName(id: ConversationId): string | undefined {
    if (!id.startsWith('g:')) return undefined;
    return this.#app.group(Number(id.slice(2)))?.name;
  }
}

function setFavicon(href: string): void {
  let link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!link) {
    link = document.createElement('link');
    link.rel = 'icon';
    document.head.append(link);
  }
  link.type = 'image/svg+xml';
  link.href = href;
}
