/**
 * A URL per view, as hash routes, so a reload opens the same conversation and the back button
 * walks the views: `#/c/private/<username>`, `#/c/group/<id>`, `#/c/system`, `#/search?q=<query>`, `#/rooms`, `#/admin`,
 * `#/account`, and `#/` for the command console. A hash (not a path) needs nothing from the
 * server that serves the page. A hash is typed by anyone: what does not parse is no route at all.
 */
import { LIMITS } from '../../../shared/limits.ts';
import type { ConversationId } from '../core/api.ts';

export type Route =
  | { kind: 'home' }
  | { kind: 'chat'; id: ConversationId }
  | { kind: 'admin' }
  | { kind: 'account' }
  | { kind: 'rooms' }
  | { kind: 'search'; q: string };

/** Longest search query kept in a URL (and searched for). */
export const MAX_QUERY = 200;

export function routeToHash(route: Route): string {
  switch (route.kind) {
    case 'home':
      return '#/';
    case 'admin':
      return '#/admin';
    case 'account':
      return '#/account';
    case 'rooms':
      return '#/rooms';
    case 'search':
      return route.q ? `#/search?q=${encodeURIComponent(route.q)}` : '#/search';
    case 'chat':
      if (route.id === 'system') return '#/c/system';
      return route.id.startsWith('g:')
        ? `#/c/group/${route.id.slice(2)}`
        : `#/c/private/${encodeURIComponent(route.id.slice(2))}`;
  }
}

function decode(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null; // a malformed escape ("%E4%B")
  }
}

/** The route a hash names, or null when it names none (then the app picks where to open). */
export function parseHash(hash: string): Route | null {
  const path = hash.replace(/^#/, '');
  if (path === '') return null;
  if (path === '/') return { kind: 'home' };
  if (path === '/admin') return { kind: 'admin' };
  if (path === '/account') return { kind: 'account' };
  if (path === '/rooms') return { kind: 'rooms' };
  if (path === '/search' || path.startsWith('/search?')) {
    const q = new URLSearchParams(path.slice('/search'.length)).get('q') ?? '';
    return { kind: 'search', q: q.slice(0, MAX_QUERY) };
  }
  if (path === '/c/system') return { kind: 'chat', id: 'system' };
  const group = /^\/c\/group\/([1-9][0-9]{0,14})$/.exec(path);
  if (group) return { kind: 'chat', id: `g:${Number(group[1])}` };
  const direct = /^\/c\/private\/([^/]+)$/.exec(path);
  if (direct) {
    const name = decode(direct[1]!);
    if (name && name.length <= LIMITS.usernameMax && !/[\s/]/.test(name))
      return { kind: 'chat', id: `u:${name}` };
  }
  return null;
}

/** Where the app reads and writes its URL; the browser's in the page, none in Node tests. */
export interface Navigator {
  read(): string;
  /** A new history entry (a view the user chose). */
  push(hash: string): void;
  /** The same entry (a view the app chose on its own, such as the last conversation on load). */
  replace(hash: string): void;
  /** No route in the URL (after sign-out, so the next user does not land in this one's chat). */
  clear(): void;
  /** The last conversation opened, per user, so a new tab opens where the user left off. */
  lastConversation(user: string): string | null;
  rememberConversation(user: string, id: ConversationId): void;
}

export function browserNavigator(): Navigator {
  const key = (user: string) => `p2sp:last-conversation:${user}`;
  return {
    read: () => location.hash,
    push: (hash) => {
      if (location.hash !== hash) location.hash = hash;
    },
    replace: (hash) => {
      if (location.hash !== hash) history.replaceState(history.state, '', hash);
    },
    clear: () => {
      if (location.hash)
        history.replaceState(history.state, '', location.pathname + location.search);
    },
    lastConversation: (user) => {
      try {
        return localStorage.getItem(key(user));
      } catch {
        return null; // storage disabled: open on the newest conversation instead
      }
    },
    rememberConversation: (user, id) => {
      try {
        localStorage.setItem(key(user), id);
      } catch {
        // Not remembered; the newest conversation is the fallback.
      }
    },
  };
}
