/**
 * What tells a person something arrived while they looked elsewhere: the unread count in the tab
 * title, a badge on the favicon, and a desktop notification while the tab is hidden. Pure rules
 * here (unit-tested); attention.svelte.ts applies them to the document and the Notification API.
 */
import { sameUsername } from '../../../shared/names.ts';
import type { ChatMessage, Conversation } from '../core/api.ts';

export const APP_TITLE = 'P2SP Chat';

/** How many messages wait unread, over every conversation. */
export function unreadTotal(conversations: readonly Conversation[]): number {
  let total = 0;
  for (const c of conversations)
    if (Number.isSafeInteger(c.unread) && c.unread > 0) total += c.unread;
  return total;
}

/** "(3) P2SP Chat"; over 99 it says 99+, as the sidebar's badges do. */
export function tabTitle(unread: number, base = APP_TITLE): string {
  if (!(unread > 0)) return base;
  return `(${unread > 99 ? '99+' : unread}) ${base}`;
}

/**
 * The favicon as an SVG document: the app's mark, with a red badge holding the unread count (9+
 * past nine, which is all a 16-pixel icon can show). Built from numbers only, never from text a
 * peer sent, so it is safe as a data: URL.
 */
export function faviconSvg(unread: number): string {
  const mark =
    '<rect width="64" height="64" rx="16" fill="#2563eb"/>' +
    '<path d="M14 18h36a4 4 0 0 1 4 4v20a4 4 0 0 1-4 4H28l-10 8v-8h-4a4 4 0 0 1-4-4V22a4 4 0 0 1 4-4z" fill="#fff"/>';
  const label = unread > 9 ? '9+' : String(Math.max(0, Math.floor(unread)));
  const badge =
    unread > 0
      ? '<circle cx="46" cy="18" r="18" fill="#dc2626" stroke="#fff" stroke-width="3"/>' +
        `<text x="46" y="26" font-family="Arial,sans-serif" font-size="${label.length > 1 ? 19 : 24}" ` +
        `font-weight="700" fill="#fff" text-anchor="middle">${label}</text>`
      : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">${mark}${badge}</svg>`;
}

export function faviconHref(unread: number): string {
  return `data:image/svg+xml,${encodeURIComponent(faviconSvg(unread))}`;
}

export type NotifyPermission = 'default' | 'granted' | 'denied' | 'unsupported';

export interface NotifyContext {
  /** The signed-in user's name. */
  me: string;
  /** The tab is hidden (document.visibilityState), the only time a notification is wanted. */
  hidden: boolean;
  /** The person's setting. */
  enabled: boolean;
  permission: NotifyPermission;
}

/**
 * Whether a 'message' event deserves a notification: someone else's message (the engine also
 * emits my own, every delivery-state change, and group events, which are lines of a conversation
 * nobody wrote: from '' and no text), with the tab hidden, the setting on and the browser's
 * permission granted.
 */
export function shouldNotify(message: ChatMessage, ctx: NotifyContext): boolean {
  if (!ctx.hidden || !ctx.enabled || ctx.permission !== 'granted') return false;
  if (message.state !== undefined || message.event) return false;
  return !sameUsername(message.from, ctx.me);
}

/** At most this many characters of a message go into a notification. */
export const NOTIFY_BODY_MAX = 140;

/**
 * A notification's title and body. The notification shows plain text (the platform renders it, no
 * markup), cut to NOTIFY_BODY_MAX so a 4,000-character message does not fill the screen.
 */
export function notificationText(
  message: ChatMessage,
  conversationTitle: string | undefined,
  systemLabel: (from: string) => string,
): { title: string; body: string } {
  let title: string;
  if (message.system) title = systemLabel(message.from);
  else if (message.conversation.startsWith('g:') && conversationTitle)
    title = `${message.from} · ${conversationTitle}`;
  else title = message.from;
  const chars = Array.from(message.text.replace(/\s+/g, ' ').trim());
  const body =
    chars.length > NOTIFY_BODY_MAX
      ? `${chars.slice(0, NOTIFY_BODY_MAX - 1).join('')}…`
      : chars.join('');
  return { title, body };
}
