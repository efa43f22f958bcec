/**
 * The page before the chat has downloaded. The first load holds only the sign-in form; the rest
 * (web/src/boot/chat.ts) is imported at once in the background, and a sign-in submitted before it
 * arrives waits for it. A stored token means a session to resume, so the splash shows instead of
 * a form the person does not need.
 *
 * Boot is also what the sign-in form talks to (`SignInPort`), before and after the app exists, so
 * the form does not depend on the app state's module (which would pull the engine into the first
 * load).
 */
import { createContext, type Component } from 'svelte';
import type { AppState } from '../state/app.svelte.ts';
import type * as chatModule from './chat.ts';

type ChatModule = typeof chatModule;
type SessionEnd = AppState['session']['endedBecause'];

export interface SignInPort {
  /** Why the last session ended, for the line above the form. */
  readonly ended: SessionEnd;
  /** Set when the chat could not be downloaded; a submit tries again. */
  readonly loadFailed: boolean;
  login(username: string, password: string): Promise<void>;
  register(username: string, password: string): Promise<void>;
}

export const [getSignIn, setSignIn] = createContext<SignInPort>();

export class Boot implements SignInPort {
  app = $state.raw<AppState | null>(null);
  Shell = $state.raw<Component<{ app: AppState }> | null>(null);
  loadFailed = $state(false);
  #loading: Promise<AppState> | null = null;

  constructor(
    private readonly importChat: () => Promise<ChatModule>,
    /** A stored token: there is a session to resume. */
    readonly resuming: boolean,
  ) {}

  /** Downloads the chat and starts it (resuming a stored session); once, until it fails. */
  load(): Promise<AppState> {
    this.#loading ??= this.importChat().then(
      async (chat) => {
        const app = chat.createApp();
        this.Shell = chat.Shell;
        this.app = app;
        this.loadFailed = false;
        await app.start();
        return app;
      },
      (error: unknown) => {
        // Offline, or a deploy replaced the files under us: let the next submit try again.
        this.#loading = null;
        this.loadFailed = true;
        throw error;
      },
    );
    return this.#loading;
  }

  get ended(): SessionEnd {
    return this.app?.session.endedBecause ?? null;
  }

  login = async (username: string, password: string): Promise<void> => {
    await (await this.load()).login(username, password);
  };

  register = async (username: string, password: string): Promise<void> => {
    await (await this.load()).register(username, password);
  };
}
