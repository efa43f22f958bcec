/**
 * The session with the signaling server: HTTP sign-in, one Socket.IO connection authenticated with
 * the token, reconnection with backoff after network loss or a server restart (the token survives
 * both, so no new login), and the end of the session when the server says so.
 */
import { io, type Socket } from 'socket.io-client';
import { ERROR_CODES, type Ack, type ErrorCode, type WireError } from '../../../shared/errors.ts';
import type {
  ClientEvent,
  ClientToServer,
  ConnectRefusal,
  ServerToClient,
  SessionReady,
} from '../../../shared/events.ts';
import { EngineError, type SessionState } from './api.ts';
import { postAuth, postLogout } from './auth-http.ts';
import type { KeysLockedReason } from './e2ee/keys.ts';
import type { ResolvedOptions } from './options.ts';

export type ChatSocket = Socket<ServerToClient, ClientToServer>;
export type Payload<E extends ClientEvent> = Parameters<ClientToServer[E]>[0];
export type AckData<E extends ClientEvent> =
  Parameters<Parameters<ClientToServer[E]>[1]>[0] extends Ack<infer T> ? T : never;
export type ServerEvent = keyof ServerToClient;

/**
 * What the engine's modules use of the session: its state, the server's events and acknowledged
 * requests. Session implements it over Socket.IO; unit tests stand in an in-memory server.
 */
export interface ServerLink {
  readonly state: SessionState;
  readonly connected: boolean;
  on<E extends ServerEvent>(event: E, handler: ServerToClient[E]): void;
  request<E extends ClientEvent>(event: E, payload: Payload<E>): Promise<AckData<E>>;
}

export interface SessionHooks {
  /** Runs before the session counts as ready (open history, load friends): awaited. */
  ready(data: SessionReady): Promise<void>;
  changed(state: SessionState): void;
  signedOut(): void;
}

/** How the first connection attempt after sign-in went. */
type FirstOutcome = 'ready' | 'unauthenticated' | 'network';

const wireError = (code: WireError['code'], message: string, reason?: string) =>
  new EngineError(reason ? { code, message, details: { reason } } : { code, message });

const isErrorCode = (code: unknown): code is ErrorCode =>
  (ERROR_CODES as readonly unknown[]).includes(code);

/**
 * The server's refusal in a `connect_error` (shared/events.ts, ConnectRefusal), or null for a
 * transport failure, which carries no `data`. Data in any other shape is read as INTERNAL.
 */
function refusalOf(err: Error & { data?: unknown }): ConnectRefusal['data'] | null {
  const data = err.data as { code?: unknown; message?: unknown; details?: unknown } | undefined;
  if (data === undefined) return null;
  if (typeof data !== 'object' || data === null || !isErrorCode(data.code))
    return { code: 'INTERNAL', message: err.message };
  const message = typeof data.message === 'string' ? data.message : err.message;
  const details =
    typeof data.details === 'object' && data.details !== null
      ? { details: data.details as Record<string, unknown> }
      : {};
  return { code: data.code, message, ...details };
}

export class Session implements ServerLink {
  #state: SessionState = { phase: 'signed-out', user: null, status: 'online', endedBecause: null };

  get state(): SessionState {
    return this.#state;
  }
  #socket: ChatSocket | null = null;
  #token: string | null = null;
  readonly #handlers: [ServerEvent, (...args: never[]) => void][] = [];

  constructor(
    private readonly options: ResolvedOptions,
    private readonly hooks: SessionHooks,
  ) {}

  /** Registers a server event handler on this and every later socket. */
  on<E extends ServerEvent>(event: E, handler: ServerToClient[E]): void {
    this.#handlers.push([event, handler as (...args: never[]) => void]);
    this.#socket?.on(event, handler as never);
  }

  get connected(): boolean {
    return this.state.phase !== 'signed-out' && this.#socket?.connected === true;
  }

  async register(username: string, password: string): Promise<void> {
    const auth = await postAuth(this.options.serverUrl, '/api/auth/register', {
      username,
      password,
    });
    await this.#start(auth.token);
  }

  async login(username: string, password: string): Promise<void> {
    const auth = await postAuth(this.options.serverUrl, '/api/auth/login', { username, password });
    await this.#start(auth.token);
  }

  async resume(): Promise<boolean> {
    const token = this.options.tokenStore.get();
    if (!token) return false;
    // A network failure leaves the token alive (we keep retrying); only the server can kill it.
    return (await this.#connect(token)) !== 'unauthenticated';
  }

  /**
   * Ends the session here and on the server; `reason` says why (worded on the sign-in screen),
   * `message` in English for developers.
   */
  async logout(
    message = 'You signed out.',
    reason: 'logout' | KeysLockedReason = 'logout',
  ): Promise<void> {
    const token = this.#token;
    // Off the socket first: the server's own 'session:ended' for this logout would otherwise
    // arrive before ours and replace the reason given here (keys-locked read as "You signed out").
    this.close();
    // Tell the server even if this socket is down; sign out locally whatever it says.
    if (token) await postLogout(this.options.serverUrl, token);
    this.#signOut({ reason, message }, true);
  }

  async setStatus(status: SessionState['status']): Promise<void> {
    const res = await this.request('presence:set', { status });
    this.#set({ status: res.status });
  }

  /** Drops the connection but keeps the token (page unload, tests killing an engine). */
  close(): void {
    this.#socket?.removeAllListeners();
    this.#socket?.disconnect();
    this.#socket = null;
  }

  /** One acknowledged request; resolves with the data or rejects with an EngineError. */
  async request<E extends ClientEvent>(event: E, payload: Payload<E>): Promise<AckData<E>> {
    const socket = this.#socket;
    if (!socket || this.state.phase === 'signed-out')
      throw wireError('UNAUTHENTICATED', 'sign in first');
    // Fail fast rather than let Socket.IO buffer the request until some later reconnect.
    if (!socket.connected)
      throw wireError('INTERNAL', 'not connected to the server', 'not-connected');
    // The typed emitWithAck overloads do not survive a generic `E`; the contract types the result.
    const emit = socket.timeout(this.options.requestTimeoutMs) as unknown as {
      emitWithAck(event: string, payload: unknown): Promise<Ack<AckData<E>>>;
    };
    let res: Ack<AckData<E>>;
    try {
      res = await emit.emitWithAck(event, payload);
    } catch {
      throw wireError('INTERNAL', `the server did not answer (${event})`, 'no-answer');
    }
    if (!res.ok) throw new EngineError(res.error);
    return res.data;
  }

  async #start(token: string): Promise<void> {
    this.options.tokenStore.set(token);
    const outcome = await this.#connect(token);
    if (outcome === 'unauthenticated')
      throw wireError('UNAUTHENTICATED', 'the server refused the session');
  }

  #connect(token: string): Promise<FirstOutcome> {
    // Signing in over a live session (another account): drop the old one's peers and history first.
    if (this.#state.phase !== 'signed-out') this.#signOut(null, false);
    this.close();
    this.#token = token;
    this.#set({ phase: 'connecting', endedBecause: null });
    const opts = {
      // A function, so every reconnection attempt sends the current token.
      auth: (cb: (data: object) => void) => cb({ token: this.#token }),
      transports: ['websocket'],
      forceNew: true,
      reconnection: true,
      reconnectionDelay: 250,
      reconnectionDelayMax: 5_000,
      randomizationFactor: 0.5,
    };
    const socket: ChatSocket = this.options.serverUrl ? io(this.options.serverUrl, opts) : io(opts);
    this.#socket = socket;
    for (const [event, handler] of this.#handlers) socket.on(event, handler as never);

    return new Promise<FirstOutcome>((resolve) => {
      let settled = false;
      const settle = (outcome: FirstOutcome) => {
        if (!settled) resolve(outcome);
        settled = true;
      };
      socket.on('session:ready', (data) => {
        this.hooks
          .ready(data)
          .catch((err: unknown) => console.error('session setup failed', err))
          .finally(() => {
            if (this.#socket !== socket) return settle('unauthenticated');
            this.#set({ phase: 'ready', user: data.user, status: data.status, endedBecause: null });
            settle('ready');
          });
      });
      socket.on('session:ended', ({ reason, message }) => {
        // 'replaced' means another tab of ours holds the same token: leave it to that tab.
        this.#signOut({ reason, message }, reason !== 'replaced');
        settle('unauthenticated');
      });
      socket.on('connect_error', (err: Error & { data?: unknown }) => {
        if (this.#socket !== socket) return;
        const refused = refusalOf(err);
        if (refused?.code === 'UNAUTHENTICATED') {
          this.#signOut({ reason: 'logout', message: refused.message }, true);
          settle('unauthenticated');
          return;
        }
        // A refusal other than auth (RATE_LIMITED, INTERNAL) is not retried by Socket.IO; retry it here.
        if (refused) setTimeout(() => this.#socket === socket && socket.connect(), 2_000);
        this.#set({ phase: 'reconnecting' });
        settle('network');
      });
      socket.on('disconnect', (reason) => {
        if (this.#socket !== socket || this.state.phase === 'signed-out') return;
        this.#set({ phase: 'reconnecting' });
        // A server-side disconnect without 'session:ended' is not retried by Socket.IO on its own.
        if (reason === 'io server disconnect')
          setTimeout(() => this.#socket === socket && socket.connect(), 1_000);
      });
    });
  }

  #signOut(ended: SessionState['endedBecause'], forgetToken: boolean): void {
    if (forgetToken && this.#token !== null && this.options.tokenStore.get() === this.#token) {
      // Only if it is still ours: another tab may have stored a newer token meanwhile.
      this.options.tokenStore.set(null);
    }
    this.close();
    this.#token = null;
    const wasSignedIn = this.state.phase !== 'signed-out';
    this.#set({ phase: 'signed-out', user: null, status: 'online', endedBecause: ended });
    if (wasSignedIn) this.hooks.signedOut();
  }

  #set(patch: Partial<SessionState>): void {
    this.#state = { ...this.#state, ...patch };
    this.hooks.changed(this.#state);
  }
}
