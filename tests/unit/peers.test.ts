/**
 * Peers' state machine (on-demand connections, glare, identity, loss) over two fake WebRTC
 * connections linked in process (STYLE 12), with the server's signal relay as a direct call.
 * tests/integration/engine-p2p.test.ts and engine-reconnect.test.ts run it over real WebRTC.
 */
import type { SignalData } from 'simple-peer';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, frames, type PeerFrame, type PeerSignal } from '../../shared/peer-wire.ts';
import type { LinkState } from '../../web/src/core/api.ts';
import { signChannel, verifyChannel } from '../../web/src/core/e2ee/channel-auth.ts';
import { generateIdentity, type Identity } from '../../web/src/core/e2ee/identity.ts';
import { Peers, type PeerConnection } from '../../web/src/core/peers.ts';
import { until } from '../helpers/core-fakes.ts';

type Listener = (...args: never[]) => void;

/**
 * Connections that find each other through their offer: an offer's `sdp` names its maker, and
 * carries a DTLS fingerprint line like a real one, for the channel's signature to cover.
 */
class FakeRtc {
  readonly offers = new Map<string, FakeConnection>();
  readonly made: FakeConnection[] = [];
  /** How long a frame takes to arrive; one still on its way when its sender closes is lost. */
  delayMs = 0;
  #n = 0;
  create = ({ initiator }: { initiator: boolean }): PeerConnection => {
    const n = ++this.#n;
    const sdp = initiator ? `v=0 offer-${n}\r\na=fingerprint:sha-256 0${n}:AB:CD\r\n` : '';
    const connection = new FakeConnection(this, initiator, sdp);
    this.made.push(connection);
    return connection;
  };
}

class FakeConnection implements PeerConnection {
  readonly #listeners = new Map<string, Listener[]>();
  other: FakeConnection | null = null;
  destroyed = false;

  constructor(
    private readonly rtc: FakeRtc,
    readonly initiator: boolean,
    offer: string,
  ) {
    if (initiator) {
      rtc.offers.set(offer, this);
      later(() => this.emit('signal', { type: 'offer', sdp: offer }));
    }
  }

  on(event: string, listener: Listener): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    return this;
  }

  emit(event: string, ...args: unknown[]): void {
    if (this.destroyed) return;
    for (const l of this.#listeners.get(event) ?? []) (l as (...a: unknown[]) => void)(...args);
  }

  signal(data: SignalData): void {
    if (this.destroyed) return;
    if (data.type === 'offer') {
      const offerer = this.rtc.offers.get(data.sdp ?? '');
      if (!offerer) return;
      this.other = offerer;
      offerer.other = this;
      later(() => this.emit('signal', { type: 'answer', sdp: data.sdp }));
    } else if (data.type === 'answer' && this.other) {
      const other = this.other;
      later(() => {
        if (this.destroyed || other.destroyed) return;
        this.emit('connect');
        other.emit('connect');
      });
    }
  }

  readonly #inFlight = new Set<ReturnType<typeof setTimeout>>();

  send(data: string): void {
    if (this.destroyed) throw new Error('destroyed');
    const other = this.other;
    const timer = setTimeout(() => {
      this.#inFlight.delete(timer);
      other?.emit('data', data);
    }, this.rtc.delayMs);
    this.#inFlight.add(timer);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    // As a real transport does, closing drops what is still queued.
    for (const timer of this.#inFlight) clearTimeout(timer);
    this.#inFlight.clear();
    const other = this.other;
    later(() => other?.emit('close'));
  }
}

const later = (fn: () => void) => void setTimeout(fn, 0);

interface Side {
  peers: Peers;
  frames: { from: string; frame: PeerFrame }[];
  links: LinkState[];
  /** Connections refused for their signature, as `who: why`. */
  refused: string[];
  /** How often this side had to look up a key. */
  learned: number;
}

const all: Peers[] = [];
afterEach(() => {
  for (const p of all.splice(0)) p.closeAll();
});

type Relay = (from: string, to: string, signal: PeerSignal) => PeerSignal;

/**
 * Two Peers whose signals reach each other, as the server's relay would carry them (`relay` may
 * rewrite them, as a lying server would). Each side knows the other's key unless `unknownTo` says
 * it must learn it first (it does, on the next turn).
 */
function linked(
  a: string,
  b: string,
  names: { [user: string]: string } = {},
  options: { relay?: Relay; unknownTo?: string } = {},
) {
  const rtc = new FakeRtc();
  const sides = new Map<string, Side>();
  const identities = new Map<string, Identity>([
    [a, generateIdentity()],
    [b, generateIdentity()],
  ]);
  const relay = options.relay ?? ((_from, _to, signal) => signal);
  for (const me of [a, b]) {
    const known = new Map(
      [...identities].filter(([name]) => name !== me && options.unknownTo !== me),
    );
    const side: Side = {
      frames: [],
      links: [],
      refused: [],
      learned: 0,
      peers: null as unknown as Peers,
    };
    side.peers = new Peers({
      wrtc: undefined,
      createPeer: rtc.create,
      idleCloseMs: 60_000,
      connectTimeoutMs: 5_000,
      me: () => names[me] ?? me,
      sendSignal: async (to, signal) => {
        const carried = relay(me, to, signal);
        later(() => sides.get(to)?.peers.onSignal(me, { ...carried }));
      },
      onFrame: (from, frame) => side.frames.push({ from, frame }),
      onLink: (_username, link) => side.links.push(link),
      channelAuth: {
        sign: (to, sid, type, sdp) =>
          signChannel(identities.get(me) as Identity, { from: me, to, sid, type, sdp }),
        check: (from, sid, type, sdp, auth) => {
          const key = known.get(from);
          if (!key) return 'unknown';
          return verifyChannel(key, { from, to: me, sid, type, sdp }, auth) ? 'ok' : 'bad';
        },
        learn: async (username) => {
          side.learned++;
          await new Promise((r) => setTimeout(r, 5));
          const key = identities.get(username);
          if (key) known.set(username, key);
        },
        refused: (username, why) => side.refused.push(`${username}: ${why}`),
      },
    });
    all.push(side.peers);
    sides.set(me, side);
  }
  return { rtc, a: sides.get(a) as Side, b: sides.get(b) as Side };
}

const deadline = () => Date.now() + 2_000;
const ack = (id: string) => encodeFrame(frames.ack(id));

describe('peers', () => {
  it('opens a connection on demand, the smaller name initiating, and carries frames both ways', async () => {
    const { rtc, a: alice, b: bob } = linked('alice', 'bob');
    await bob.peers.send('alice', ack('b1'), deadline());
    await until(() => alice.frames.length === 1, 'frame at alice');
    await alice.peers.send('bob', ack('a1'), deadline());
    await until(() => bob.frames.length === 1, 'frame at bob');

    expect(alice.frames).toEqual([{ from: 'bob', frame: frames.ack('b1') }]);
    expect(bob.frames).toEqual([{ from: 'alice', frame: frames.ack('a1') }]);
    // Bob knocked; Alice made the one offer; the channel was reused for her frame.
    expect(rtc.made.filter((c) => c.initiator)).toHaveLength(1);
    expect(rtc.made).toHaveLength(2);
    expect(alice.peers.link('bob')).toBe('direct');
    expect(bob.links.at(0)).toBe('connecting');
    expect(bob.links.at(-1)).toBe('direct');
  });

  it('two sides opening at once end up with one connection (glare)', async () => {
    const { rtc, a: alice, b: bob } = linked('alice', 'bob');
    await Promise.all([
      alice.peers.send('bob', ack('a1'), deadline()),
      bob.peers.send('alice', ack('b1'), deadline()),
    ]);
    await until(() => alice.frames.length === 1 && bob.frames.length === 1, 'both frames');
    expect(rtc.made.filter((c) => c.initiator)).toHaveLength(1);
    expect(rtc.made.filter((c) => !c.destroyed)).toHaveLength(2);
  });

  it('drops a connection whose hello names someone other than the server-stamped sender', async () => {
    const { a: alice, b: bob } = linked('alice', 'bob', { bob: 'mallory' });
    await bob.peers.send('alice', ack('m1'), deadline()).catch(() => undefined);
    await until(() => alice.peers.link('bob') === 'offline-store', 'dropped');
    expect(alice.frames).toEqual([]);
  });

  it('a channel the other side closes is lost: what was sent on it must go again', async () => {
    const { a: alice, b: bob } = linked('alice', 'bob');
    const { lost } = await alice.peers.send('bob', ack('a1'), deadline());
    await until(() => bob.frames.length === 1, 'frame at bob');

    bob.peers.close('alice', 'relation ended');
    expect(bob.peers.link('alice')).toBe('offline-store');
    await expect(lost).resolves.toBeInstanceOf(Error);
    expect(alice.peers.link('bob')).toBe('offline-store');

    // The next send opens a new connection.
    await alice.peers.send('bob', ack('a2'), deadline());
    await until(() => bob.frames.length === 2, 'second frame at bob');
  });

  it('a channel closed on purpose is not lost', async () => {
    const { a: alice, b: bob } = linked('alice', 'bob');
    const { lost } = await alice.peers.send('bob', ack('a1'), deadline());
    await until(() => bob.frames.length === 1, 'frame at bob');
    alice.peers.close('bob');
    const outcome = await Promise.race([lost.then(() => 'lost'), until(() => true, 'now')]);
    expect(outcome).toBeUndefined();
    expect(alice.peers.link('bob')).toBe('offline-store');
  });

  it('signing out closes a channel only once the peer has what was sent on it', async () => {
    const { rtc, a: alice, b: bob } = linked('alice', 'bob');
    await alice.peers.send('bob', ack('a1'), deadline());
    await until(() => bob.frames.length === 1, 'frame at bob');
    rtc.delayMs = 30;

    // Closing at once loses the frame still on its way (what the fake and a real channel do)...
    await alice.peers.send('bob', ack('a2'), deadline());
    alice.peers.closeAll();
    await new Promise((r) => setTimeout(r, 100));
    expect(bob.frames.map((f) => f.frame)).toEqual([frames.ack('a1')]);

    // ...closing flushed waits for bob's pong, which comes after everything sent before the ping.
    await alice.peers.send('bob', ack('a3'), deadline());
    await alice.peers.closeAllFlushed(2_000);
    expect(bob.frames.map((f) => f.frame)).toEqual([frames.ack('a1'), frames.ack('a3')]);
    expect(alice.peers.link('bob')).toBe('offline-store');
    // ping and pong belong to the link: neither reaches the engine.
    expect(alice.frames).toEqual([]);
  });

  it('a stray pong changes nothing, and pings are answered without reaching the engine', async () => {
    const { a: alice, b: bob } = linked('alice', 'bob');
    await alice.peers.send('bob', ack('a1'), deadline());
    await until(() => bob.frames.length === 1, 'frame at bob');
    // A modified client: a pong nobody asked for, and a run of pings.
    await bob.peers.send('alice', encodeFrame(frames.pong('never-sent')), deadline());
    for (let i = 0; i < 20; i++)
      await bob.peers.send('alice', encodeFrame(frames.ping(`p${i}`)), deadline());
    await bob.peers.send('alice', ack('b1'), deadline());
    await until(() => alice.frames.length === 1, 'frame at alice');
    expect(alice.frames).toEqual([{ from: 'bob', frame: frames.ack('b1') }]);
    expect(bob.frames).toEqual([{ from: 'alice', frame: frames.ack('a1') }]);
    expect(alice.peers.link('bob')).toBe('direct');
  });

  it('a peer that does not answer the ping is closed anyway at the cap', async () => {
    const { rtc, a: alice, b: bob } = linked('alice', 'bob');
    await alice.peers.send('bob', ack('a1'), deadline());
    await until(() => bob.frames.length === 1, 'frame at bob');
    rtc.delayMs = 60_000; // the ping never gets there in time
    const started = Date.now();
    await alice.peers.closeAllFlushed(50);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(alice.peers.link('bob')).toBe('offline-store');
  });

  it('a link still connecting is closed without waiting', async () => {
    const { a: alice } = linked('alice', 'nobody');
    void alice.peers.send('carol', ack('a1'), deadline()).catch(() => undefined);
    expect(alice.peers.link('carol')).toBe('connecting');
    const started = Date.now();
    await alice.peers.closeAllFlushed(5_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(alice.peers.link('carol')).toBe('offline-store');
  });

  it('refuses a channel whose offer a relay rewrote to its own fingerprint, and says so', async () => {
    const relay: Relay = (_from, _to, signal) => {
      const data = signal.data as { type?: string; sdp?: string } | undefined;
      if (data?.type !== 'offer') return signal;
      const sdp = (data.sdp ?? '').replace(
        /a=fingerprint:\S+ \S+/,
        'a=fingerprint:sha-256 EE:VI:L0',
      );
      return { ...signal, data: { ...data, sdp } };
    };
    const { rtc, a: alice, b: bob } = linked('alice', 'bob', {}, { relay });
    await expect(alice.peers.send('bob', ack('a1'), Date.now() + 300)).rejects.toThrow();
    expect(bob.refused).toEqual(['alice: bad-signature']);
    expect(bob.frames).toEqual([]);
    // Bob never answered the forged offer: no connection of his was made.
    expect(rtc.made.filter((c) => !c.initiator)).toHaveLength(0);
  });

  it('refuses an answer without a signature, and one signed for another connection', async () => {
    for (const forge of ['strip', 'replay'] as const) {
      let firstAuth: string | undefined;
      const relay: Relay = (_from, _to, signal) => {
        const data = signal.data as { type?: string } | undefined;
        if (data?.type !== 'answer') return signal;
        if (forge === 'strip') return { v: signal.v, sid: signal.sid, data: signal.data ?? {} };
        firstAuth ??= signal.auth;
        return {
          ...signal,
          sid: signal.sid,
          auth: firstAuth === signal.auth ? 'A'.repeat(86) : firstAuth,
        };
      };
      const { a: alice, b: bob } = linked('alice', 'bob', {}, { relay });
      await expect(alice.peers.send('bob', ack('a1'), Date.now() + 300)).rejects.toThrow();
      expect(alice.refused, forge).toEqual(['bob: bad-signature']);
      expect(bob.frames).toEqual([]);
      alice.peers.closeAll();
      bob.peers.closeAll();
    }
  });

  it('an offer from someone whose key is not known yet waits for the key, then opens', async () => {
    const { a: alice, b: bob } = linked('alice', 'bob', {}, { unknownTo: 'bob' });
    await alice.peers.send('bob', ack('a1'), deadline());
    await until(() => bob.frames.length === 1, 'frame at bob');
    expect(bob.learned).toBe(1);
    expect(bob.refused).toEqual([]);
  });
});
