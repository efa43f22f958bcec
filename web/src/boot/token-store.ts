/**
 * Where the session token lives between page loads: localStorage, which private browsing may
 * refuse. Its own small module because the first load reads it (is there a session to resume?)
 * before the engine that uses it has been downloaded.
 */
import type { TokenStore } from '../core/options.ts';

const TOKEN_KEY = 'p2sp.token';

export const tokenStore: TokenStore = {
  get(): string | null {
    try {
      return localStorage.getItem(TOKEN_KEY);
    } catch {
      return null;
    }
  },
  set(token: string | null): void {
    try {
      if (token === null) localStorage.removeItem(TOKEN_KEY);
      else localStorage.setItem(TOKEN_KEY, token);
    } catch {
      // Without storage the user signs in again after a reload; nothing else breaks.
    }
  },
};
