/** The one codec each for the conversation key, frames we build, and offline payloads. */
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/limits.ts';
import {
  decodeOfflinePayload,
  encodeFrame,
  frames,
  parseFrame,
  peerSignal,
  PEER_WIRE_VERSION,
  signals,
} from '../../shared/peer-wire.ts';
import {
  groupConversation,
  parseConversation,
  privateConversation,
} from '../../web/src/core/api.ts';

describe('conversation key', () => {
  it('parses what it builds', () => {
    expect(parseConversation(privateConversation('alice'))).toEqual({
      kind: 'private',
      username: 'alice',
    });
    expect(parseConversation(groupConversation(42))).toEqual({ kind: 'group', groupId: 42 });
  });
});

describe('frame builders', () => {
  it('stamp the wire version on every frame and signal, and build what a peer accepts', () => {
    const built = [
      frames.hello('alice'),
      frames.ack('a1'),
      frames.msg({ id: 'a1', text: 'hi', sentAt: 5 }),
      frames.msg({ id: 'a2', text: 'hi all', sentAt: 6 }, 7),
    ];
    for (const frame of built) {
      expect(frame.v).toBe(PEER_WIRE_VERSION);
      expect(parseFrame(encodeFrame(frame))).toEqual({ ok: true, frame });
    }
    expect(built[2]).toMatchObject({ conversation: 'private' });
    expect(built[2]).not.toHaveProperty('groupId');
    expect(built[3]).toMatchObject({ conversation: 'group', groupId: 7 });
    for (const signal of [signals.knock('s1'), signals.data('s1', { type: 'offer' })]) {
      expect(signal.v).toBe(PEER_WIRE_VERSION);
      expect(peerSignal.safeParse(signal).success).toBe(true);
    }
  });
});

describe('offline payload', () => {
  it('is system text for kind system, capped', () => {
    const long = 'x'.repeat(LIMITS.systemTextMax + 10);
    expect(decodeOfflinePayload({ kind: 'system', payload: long })).toEqual({
      kind: 'system',
      text: 'x'.repeat(LIMITS.systemTextMax),
    });
  });

  it('is a msg frame otherwise, parsed like one from a channel', () => {
    const frame = frames.msg({ id: 'a1', text: 'hi', sentAt: 5 });
    expect(decodeOfflinePayload({ kind: 'private', payload: encodeFrame(frame) })).toEqual({
      kind: 'msg',
      frame,
    });
    expect(
      decodeOfflinePayload({ kind: 'group', payload: encodeFrame(frames.ack('a1')) }),
    ).toMatchObject({ kind: 'invalid' });
    expect(decodeOfflinePayload({ kind: 'private', payload: 'not json' })).toMatchObject({
      kind: 'invalid',
    });
    // A system text never reaches the frame parser, and a frame is not shown as text.
    expect(decodeOfflinePayload({ kind: 'system', payload: encodeFrame(frame) }).kind).toBe(
      'system',
    );
  });
});
