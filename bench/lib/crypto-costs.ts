/**
 * What the end-to-end encryption costs a client, measured on the engine's own code
 * (web/src/core/e2ee): the same module runs in this Node process and, bundled, in a Chromium page
 * (bench/browser/crypto-page.ts), so no `node:` imports here. It returns raw samples; the suite
 * (bench/suites/crypto.ts) summarises them.
 *
 * Per message: `Keys.seal` and `Keys.open`, what the engine's delivery and inbox call for a copy
 * stored through the server, on a real Keyring (IndexedDB) that caches the pairwise key per bundle
 * as the engine's does. Once per contact or connection: the pairwise key, the bundle check, the
 * channel signature and its check, the safety number, a new identity, and the backup wrap/unwrap.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { randomBytes } from '@noble/hashes/utils.js';
import type { OfflineMessage } from '../../shared/events.ts';
import { encodeFrame, frames } from '../../shared/peer-wire.ts';
import type { HistoryPlatform } from '../../web/src/core/history.ts';
import { newMessageId } from '../../web/src/core/ids.ts';
import { unwrapIdentity, wrapIdentity } from '../../web/src/core/e2ee/backup.ts';
import {
  signChannel,
  verifyChannel,
  type ChannelClaim,
} from '../../web/src/core/e2ee/channel-auth.ts';
import { fromBase64url, toBase64url, utf8 } from '../../web/src/core/e2ee/codec.ts';
import { generateIdentity, parseBundle, type Identity } from '../../web/src/core/e2ee/identity.ts';
import { Keyring } from '../../web/src/core/e2ee/keyring.ts';
import { Keys } from '../../web/src/core/e2ee/keys.ts';
import { safetyNumber } from '../../web/src/core/e2ee/safety-number.ts';
// `seal` and `open` are also names of operations here.
import { open as openWith, pairKey, seal as sealWith } from '../../web/src/core/e2ee/seal.ts';

export type MessageCase = 'typical' | 'max';

/** The per-message operations: the engine's calls, and their parts on the same bytes. */
export type MessageOp =
  | 'seal'
  | 'open'
  | 'seal-fn'
  | 'open-fn'
  | 'aead-encrypt'
  | 'aead-decrypt'
  | 'b64-encode'
  | 'b64-decode';

export type OnceOp =
  | 'pairKey'
  | 'parseBundle'
  | 'signChannel'
  | 'verifyChannel'
  | 'safetyNumber'
  | 'generateIdentity'
  | 'backupWrap'
  | 'backupUnwrap';

export interface MessageSamples {
  /** ms per message, one entry per sample (each the mean of `batch` consecutive messages). */
  samples: number[];
  batch: number;
  /** Messages done in all, warm-up included (for CPU per message). */
  done: number;
  /** Copies that did not open to the frame that was sealed (must be 0). */
  failures: number;
}

export interface Sizes {
  textChars: number;
  frameChars: number;
  frameBytes: number;
  sealedChars: number;
}

const SENDER = 'alice';
const RECIPIENT = 'bob';
const PASSWORD = 'correct horse battery staple';

/** 200 characters of the kind people type. */
export const TYPICAL_TEXT = (
  'Running ten minutes late, the train stopped outside the station again. Start without me ' +
  'and save me a seat near the window? I will bring the notes from Tuesday and the charger you ' +
  'left at my place last week.'
).slice(0, 200);

/** The longest message the app allows (LIMITS.messageTextMax), in Chinese: 3 UTF-8 bytes each. */
export const MAX_TEXT = '我们明天下午三点在图书馆门口见面然后一起去吃饭好吗'
  .repeat(400)
  .slice(0, 8_000);

/**
 * An offer like Chromium's for a data channel (one m= line, host, srflx and TCP candidates, one
 * fingerprint). The suite uses a real one from Chromium when it has one.
 */
export const SAMPLE_SDP = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS',
  'm=application 49203 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 192.168.1.23',
  'a=candidate:2999745851 1 udp 2122260223 192.168.1.23 49203 typ host generation 0 network-id 1',
  'a=candidate:1463432231 1 udp 2122194687 10.0.0.5 51544 typ host generation 0 network-id 2',
  'a=candidate:842163049 1 udp 1686052607 203.0.113.7 49203 typ srflx raddr 192.168.1.23 rport 49203 generation 0 network-id 1',
  'a=candidate:4233069003 1 tcp 1518280447 192.168.1.23 9 typ host tcptype active generation 0 network-id 1',
  'a=ice-ufrag:Kx3n',
  'a=ice-pwd:eKJ1Xo0y3DbGq2cDkW5r3mN9',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08',
  'a=setup:actpass',
  'a=mid:0',
  'a=sctp-port:5000',
  'a=max-message-size:262144',
  '',
].join('\r\n');

const frameOf = (c: MessageCase, id: string) =>
  encodeFrame(
    frames.msg({ id, text: c === 'typical' ? TYPICAL_TEXT : MAX_TEXT, sentAt: Date.now() }),
  );

/** The smallest step the clock moves by, ms (5 µs or 100 µs in a page, far less in Node). */
export function clockResolution(): number {
  let best = Infinity;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    let t = t0;
    while (t === t0) t = performance.now();
    best = Math.min(best, t - t0);
  }
  return best;
}

export interface CryptoBench {
  /** Both people's identities and keyrings (IndexedDB), each with the other's key pinned. */
  setup(): Promise<Sizes[]>;
  message(op: MessageOp, c: MessageCase, o: { iterations: number; warmup: number }): MessageSamples;
  /** ms per run of a once-per-contact/connection operation, after `warmup` untimed runs. */
  once(op: OnceOp, o: { runs: number; warmup: number }): Promise<number[]>;
  /** The sealed copy of a typical frame between two fresh identities, `count` distinct ones. */
  sealedPayloads(count: number): string[];
  clockResolution(): number;
  close(): void;
}

/** A sealed copy of a typical `msg` frame, as the engine stores one for an offline recipient. */
export function sealedTypicalCopies(count: number): string[] {
  const alice = generateIdentity();
  const bob = generateIdentity();
  const key = pairKey(alice, bob);
  // Straight through seal(): the same function Keys.seal ends in, without a keyring.
  return Array.from({ length: count }, () => {
    const id = newMessageId();
    return sealWith(key, { from: SENDER, to: RECIPIENT, id }, frameOf('typical', id));
  });
}

export function cryptoBench(platform: HistoryPlatform, sdp: string = SAMPLE_SDP): CryptoBench {
  let alice: Identity | null = null;
  let bob: Identity | null = null;
  let sender: Keys | null = null;
  let receiver: Keys | null = null;
  const rings: Keyring[] = [];
  /** The last seal run's copies, per case, for the open run to open. */
  const sealed = new Map<MessageCase, { id: string; frame: string; payload: string }[]>();
  const resolution = clockResolution();

  const need = () => {
    if (!alice || !bob || !sender || !receiver) throw new Error('call setup() first');
    return { alice, bob, sender, receiver };
  };

  /**
   * Times `one(k)` for k = 0.. in samples of `batch` calls, batch sized so the clock's step is at
   * most 5% of a sample (1 in Node; more in a page whose clock is coarsened).
   */
  const timed = (
    o: { iterations: number; warmup: number },
    one: (k: number) => boolean,
  ): MessageSamples => {
    let failures = 0;
    const w0 = performance.now();
    for (let k = 0; k < o.warmup; k++) if (!one(k)) failures++;
    const perOp = (performance.now() - w0) / Math.max(1, o.warmup);
    const batch = Math.max(1, Math.ceil((20 * resolution) / Math.max(perOp, 1e-6)));
    const samples: number[] = [];
    let k = o.warmup;
    const end = o.warmup + o.iterations;
    while (k < end) {
      const n = Math.min(batch, end - k);
      const t0 = performance.now();
      for (let j = 0; j < n; j++) if (!one(k + j)) failures++;
      samples.push((performance.now() - t0) / n);
      k += n;
    }
    return { samples, batch, done: end, failures };
  };

  return {
    async setup() {
      alice = generateIdentity();
      bob = generateIdentity();
      // Fresh names per run: a keyring's database is named for its user.
      const tag = Math.random().toString(36).slice(2, 8);
      const [me, peer] = [`${SENDER}${tag}`, `${RECIPIENT}${tag}`];
      const keysOf = async (user: string, mine: Identity, other: string, theirs: Identity) => {
        const ring = await Keyring.open(user, platform, () => undefined);
        await ring.adopt(mine);
        await ring.observe(other, theirs.bundle);
        rings.push(ring);
        // No server: sealing and opening never call it, only sign-in does.
        const keys = new Keys({ server: null as never, notice: () => undefined });
        keys.attach(ring);
        return keys;
      };
      sender = await keysOf(me, alice, peer, bob);
      receiver = await keysOf(peer, bob, me, alice);
      return (['typical', 'max'] as const).map((c) => {
        const id = newMessageId();
        const frame = frameOf(c, id);
        return {
          textChars: (c === 'typical' ? TYPICAL_TEXT : MAX_TEXT).length,
          frameChars: frame.length,
          frameBytes: utf8(frame).length,
          sealedChars: (sender as Keys).seal({ to: peer, id }, frame).length,
        };
      });
    },

    message(op, c, o) {
      const { sender: s, receiver: r } = need();
      const from = (rings[0] as Keyring).user;
      const to = (rings[1] as Keyring).user;
      const total = o.warmup + o.iterations;
      if (op === 'seal') {
        const copies = Array.from({ length: total }, () => {
          const id = newMessageId();
          return { id, frame: frameOf(c, id), payload: '' };
        });
        const result = timed(o, (k) => {
          const copy = copies[k] as (typeof copies)[number];
          copy.payload = s.seal({ to, id: copy.id }, copy.frame);
          return copy.payload.length > 0;
        });
        sealed.set(c, copies);
        return result;
      }
      if (op === 'open') {
        const copies = sealed.get(c);
        if (!copies || copies.length < total) throw new Error(`run seal for ${c} first`);
        const stored: OfflineMessage[] = copies.map((x) => ({
          id: x.id,
          from,
          kind: 'private',
          group: null,
          payload: x.payload,
          at: Date.now(),
        }));
        const texts: (string | null)[] = new Array<string | null>(total).fill(null);
        const result = timed(o, (k) => {
          const opened = r.open(stored[k] as OfflineMessage, undefined);
          texts[k] = opened.ok ? opened.text : null;
          return opened.ok;
        });
        // Compared outside the clock: a 24 KB string compare is not part of opening.
        const wrong = copies.filter((x, k) => texts[k] !== null && texts[k] !== x.frame).length;
        return { ...result, failures: result.failures + wrong };
      }
      // The parts of a seal and an open, on the same bytes: seal()/open() without the keyring
      // (what Keys adds is its pin and cache lookups), the AEAD alone, and the base64url text the
      // sealed copy travels as.
      const key = randomBytes(32);
      const context = { from: SENDER, to: RECIPIENT, id: newMessageId() };
      const frame = frameOf(c, context.id);
      const copies = Array.from({ length: 16 }, () => sealWith(key, context, frame));
      const ad = new Uint8Array(64);
      const plain = utf8(frameOf(c, newMessageId()));
      const nonces = Array.from({ length: 16 }, () => randomBytes(24));
      const boxes = nonces.map((n) => xchacha20poly1305(key, n, ad).encrypt(plain));
      const texts = boxes.map((b) => toBase64url(b));
      const pick = <T>(xs: T[], k: number) => xs[k % xs.length] as T;
      const one: Record<Exclude<MessageOp, 'seal' | 'open'>, (k: number) => boolean> = {
        'seal-fn': () => sealWith(key, context, frame).length > 0,
        'open-fn': (k) => openWith(key, context, pick(copies, k)) !== null,
        'aead-encrypt': (k) =>
          xchacha20poly1305(key, pick(nonces, k), ad).encrypt(plain).length > 0,
        'aead-decrypt': (k) =>
          xchacha20poly1305(key, pick(nonces, k), ad).decrypt(pick(boxes, k)).length ===
          plain.length,
        'b64-encode': (k) => toBase64url(pick(boxes, k)).length > 0,
        'b64-decode': (k) => fromBase64url(pick(texts, k)) !== null,
      };
      return timed(o, one[op]);
    },

    async once(op, o) {
      const { alice: a, bob: b } = need();
      const pool = Array.from({ length: 16 }, () => generateIdentity());
      const claim = (k: number): ChannelClaim => ({
        from: SENDER,
        to: RECIPIENT,
        sid: `sid${k % 16}`,
        type: 'offer',
        sdp,
      });
      const signatures = Array.from({ length: 16 }, (_, k) => signChannel(a, claim(k)) ?? '');
      const backup = op === 'backupUnwrap' ? await wrapIdentity(a, SENDER, PASSWORD) : '';
      // Each returns whether it did its job, so a broken one cannot pass as a fast one.
      const sync: Partial<Record<OnceOp, (k: number) => boolean>> = {
        pairKey: (k) => pairKey(a, pool[k % pool.length] as Identity).length === 32,
        parseBundle: (k) => parseBundle((pool[k % pool.length] as Identity).bundle) !== null,
        signChannel: (k) => signChannel(a, claim(k)) !== null,
        verifyChannel: (k) => verifyChannel(a, claim(k), signatures[k % 16]),
        safetyNumber: () =>
          safetyNumber({ username: SENDER, key: a }, { username: RECIPIENT, key: b }).length === 12,
        generateIdentity: () => generateIdentity().bundle.startsWith('k1.'),
      };
      const slow: Partial<Record<OnceOp, () => Promise<boolean>>> = {
        backupWrap: async () => (await wrapIdentity(a, SENDER, PASSWORD)).startsWith('b1.'),
        backupUnwrap: async () =>
          (await unwrapIdentity(backup, SENDER, a.bundle, PASSWORD)).bundle === a.bundle,
      };
      const out: number[] = [];
      for (let k = 0; k < o.warmup + o.runs; k++) {
        const t0 = performance.now();
        const f = sync[op];
        const ok = f ? f(k) : await (slow[op] as () => Promise<boolean>)();
        const ms = performance.now() - t0;
        if (!ok) throw new Error(`${op} failed its own check`);
        if (k >= o.warmup) out.push(ms);
      }
      return out;
    },

    sealedPayloads: sealedTypicalCopies,
    clockResolution: () => resolution,
    close() {
      for (const r of rings) r.close();
    },
  };
}
