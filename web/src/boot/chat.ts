/**
 * Everything after the sign-in screen, as one chunk loaded in the background while the sign-in
 * form is on screen: the engine (Socket.IO, simple-peer, Dexie, the e2ee crypto), the app state
 * and the chat UI. The first load is only what the sign-in form needs (main.ts, boot.svelte.ts).
 */
import { createEngine } from '../core/engine.ts';
import { AppState } from '../state/app.svelte.ts';
import { browserNavigator } from '../state/routes.ts';
import { tokenStore } from './token-store.ts';

export { default as Shell } from '../ui/Shell.svelte';

export function createApp(): AppState {
  const engine = createEngine({
    serverUrl: location.origin,
    indexedDB: window.indexedDB,
    tokenStore,
  });
  addEventListener('pagehide', () => {
    // Closing the tab should end the session promptly so friends see us go offline.
    void engine.destroy();
  });
  const app = new AppState(engine, browserNavigator());
  // Back, forward and an edited address show the view the URL names (routes.ts).
  addEventListener('hashchange', () => app.followUrl());
  return app;
}
