import { mount } from 'svelte';
import App from './App.svelte';
import { Boot } from './boot/boot.svelte.ts';
import { tokenStore } from './boot/token-store.ts';
import { i18n } from './state/i18n/locale.svelte.ts';
import './app.css';

i18n.apply();

// The first load is the sign-in form; the chat downloads behind it (boot/chat.ts).
const boot = new Boot(() => import('./boot/chat.ts'), tokenStore.get() !== null);
const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

mount(App, { target, props: { boot } });
// A failure is shown by the form (boot.loadFailed), and the next submit tries again.
boot.load().catch(() => {});
