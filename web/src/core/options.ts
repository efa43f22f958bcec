/**
 * What the host platform injects into the engine: the same engine runs in a browser (native
 * WebRTC, IndexedDB, localStorage) and in Node tests (@roamhq/wrtc, fake-indexeddb, memory).
 */
import type { Options as PeerOptions } from 'simple-peer';
import type { IceTransportPolicy } from '../../../shared/events.ts';
import type { FileStorage } from './files/store.ts';

export interface TokenStore {
  get(): string | null;
  set(token: string | null): void;
}

export interface EngineOptions {
  /** Origin of the signaling server, e.g. `http://localhost:8080`; '' means this page's origin. */
  serverUrl: string;
  /** simple-peer's `wrtc` option; leave undefined in a browser. */
  wrtc?: PeerOptions['wrtc'];
  /** Dexie's `indexedDB` / `IDBKeyRange` options; default to the browser's globals. */
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
  /** Where the session token lives between page loads; default: in memory only. */
  tokenStore?: TokenStore;
  /** How long a direct attempt (open a channel, send, get the peer's ack) may take before the
   * message goes to the server's offline store. Default 5000. */
  directTimeoutMs?: number;
  /** Close a data channel after this long without traffic. Default 5 minutes. */
  idleCloseMs?: number;
  /** How long to wait for the server to answer one request. Default 10000. */
  requestTimeoutMs?: number;
  /** 'relay' sends everything through TURN; default: what the server's `session:ready` says. */
  iceTransportPolicy?: IceTransportPolicy;
  /** Largest file sent or accepted, in bytes. Default LIMITS.fileSizeDefaultMax (2 GiB). */
  maxFileBytes?: number;
  /** Where files live; default: a Dexie database of their own in `indexedDB` (files/store.ts). */
  openFileStorage?: (user: string) => Promise<FileStorage>;
}

export interface ResolvedOptions extends EngineOptions {
  tokenStore: TokenStore;
  directTimeoutMs: number;
  idleCloseMs: number;
  requestTimeoutMs: number;
}

export function memoryTokenStore(initial: string | null = null): TokenStore {
  let token = initial;
  return {
    get: () => token,
    set: (t) => {
      token = t;
    },
  };
}

export function resolveOptions(options: EngineOptions): ResolvedOptions {
  return {
    ...options,
    tokenStore: options.tokenStore ?? memoryTokenStore(),
    directTimeoutMs: options.directTimeoutMs ?? 5_000,
    idleCloseMs: options.idleCloseMs ?? 5 * 60_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
  };
}
