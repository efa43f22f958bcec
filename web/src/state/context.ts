/** The app state reaches components through context instead of being threaded through props. */
import { createContext } from 'svelte';
import type { AppState } from './app.svelte.ts';

export const [getApp, setApp] = createContext<AppState>();
