import { mount } from 'svelte';
import App from './App.svelte';
import { createEngine } from './core/engine.ts';
import { AppState } from './state/app.svelte.ts';
import { i18n } from './state/i18n/locale.svelte.ts';
import './app.css';

const TOKEN_KEY = 'p2sp.token';

/** The session token survives reloads in localStorage; private browsing may refuse it. */
const tokenStore = {
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

i18n.apply();

const engine = createEngine({
  serverUrl: location.origin,
  indexedDB: window.indexedDB,
  tokenStore,
});
const state = new AppState(engine);
const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

mount(App, { target, props: { app: state } });
void state.start();

addEventListener('pagehide', () => {
  // Closing the tab should end the session promptly so friends see us go offline.
  void engine.destroy();
});
