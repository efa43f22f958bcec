/**
 * A connection that breaks with messages in flight (its data channel closed under it, or its
 * RTCPeerConnection torn down, as when ICE fails or the network changes): the engine reconnects
 * with a new attempt and resends what was unacked; every message arrives once, in order, directly.
 */
import wrtc from '@roamhq/wrtc';
import { expect, it } from 'vitest';
import type { EngineOptions } from '../../web/src/core/engine.ts';
import { befriend, serverPerTest, signedIn, waitForState } from '../helpers/engine.ts';
import { eventually, type TestServer } from '../helpers/server.ts';

let server: TestServer;

serverPerTest(
  (s) => (server = s),
  () => server,
);

/** The real @roamhq/wrtc, with a note of each connection and data channel it makes. */
function tappedWrtc() {
  const connections: RTCPeerConnection[] = [];
  const channels: RTCDataChannel[] = [];
  const Base = wrtc.RTCPeerConnection as unknown as typeof RTCPeerConnection;
  class Tapped extends Base {
    constructor(config?: RTCConfiguration) {
      super(config);
      connections.push(this);
    }
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, init);
      channels.push(channel);
      return channel;
    }
  }
  const platform = { ...wrtc, RTCPeerConnection: Tapped } as unknown as EngineOptions['wrtc'];
  return { platform, connections, channels };
}

async function pair() {
  const tap = tappedWrtc();
  // alice sorts first, so she initiates and creates the data channel.
  const alice = await signedIn(server.url, 'alice', { wrtc: tap.platform });
  const bob = await signedIn(server.url, 'bob');
  await befriend(alice.engine, bob.engine);
  const first = await alice.engine.sendPrivate('bob', 'channel up');
  await waitForState(alice.engine, 'u:bob', first.id, ['delivered']);
  const received: string[] = [];
  bob.engine.on((e) => {
    if (e.type === 'message' && e.message.from === 'alice') received.push(e.message.id);
  });
  return { alice, bob, tap, received };
}

/** Sends `count` messages without waiting for acks, breaking the connection half-way. */
async function sendThroughABreak(
  p: Awaited<ReturnType<typeof pair>>,
  count: number,
  breakIt: () => void,
) {
  const sent: string[] = [];
  for (let i = 0; i < count; i++) {
    sent.push((await p.alice.engine.sendPrivate('bob', `message ${i}`)).id);
    if (i === Math.floor(count / 2)) breakIt();
  }
  for (const id of sent) {
    const done = await waitForState(p.alice.engine, 'u:bob', id, ['delivered', 'stored', 'failed']);
    expect({ id, state: done.state }).toEqual({ id, state: 'delivered' });
  }
  await eventually(() => sent.every((id) => p.received.includes(id)), 5_000, 'bob has them all');
  // Once each (history dedupes by id; the events show nothing was stored twice), in send order.
  expect(p.received).toEqual(sent);
  const history = await p.bob.engine.history('u:alice', { limit: 500 });
  expect(history.filter((m) => sent.includes(m.id))).toHaveLength(count);
  expect(history.every((m) => m.viaServer === undefined)).toBe(true);
}

it('a data channel closed under the connection: reconnects, resends the unacked, each arrives once and in order', async () => {
  const p = await pair();
  const before = p.tap.connections.length;
  await sendThroughABreak(p, 30, () => p.tap.channels.at(-1)!.close());
  expect(p.tap.connections.length).toBeGreaterThan(before);
  expect(p.alice.engine.link('bob')).toBe('direct');
});

it('the RTCPeerConnection torn down (ICE gone): the same', async () => {
  const p = await pair();
  const before = p.tap.connections.length;
  await sendThroughABreak(p, 30, () => p.tap.connections.at(-1)!.close());
  expect(p.tap.connections.length).toBeGreaterThan(before);
});
