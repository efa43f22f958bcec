/**
 * Files between engines over real WebRTC data channels (@roamhq/wrtc), against the real server:
 * streaming with hashes, progress on both sides, a chat message during a transfer, cancel, pause,
 * the size limit, an offline peer, a reload that resumes, and a hostile sender cut off.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import wrtc from '@roamhq/wrtc';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { encodeChunk } from '../../shared/peer-wire.ts';
import type { ChatEngine, EngineEvent, FileTransfer } from '../../web/src/core/api.ts';
import type { EngineOptions } from '../../web/src/core/engine.ts';
import {
  befriend,
  findMessage,
  joinGroup,
  serverPerTest,
  signedIn,
  startEngine,
  waitForState,
} from '../helpers/engine.ts';
import { contentHashOf } from '../helpers/content-hash.ts';
import { handmadeUser, rawPeer } from '../helpers/handmade-peer.ts';
import { call, eventually, sleep, type TestServer } from '../helpers/server.ts';

let server: TestServer;
serverPerTest(
  (s) => (server = s),
  () => server,
);

/** Deterministic bytes that are not all alike, so a misplaced chunk changes the hash. */
function bytes(size: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function fileEvents(engine: ChatEngine): FileTransfer[] {
  const seen: FileTransfer[] = [];
  engine.on((e: EngineEvent) => {
    if (e.type === 'file') seen.push(e.file);
  });
  return seen;
}

const last = (events: FileTransfer[], id: string) => events.filter((f) => f.id === id).at(-1);

async function hashOf(blob: Blob | null): Promise<string> {
  if (!blob) throw new Error('no blob');
  return bytesToHex(sha256(new Uint8Array(await blob.arrayBuffer())));
}

/**
 * The real @roamhq/wrtc, whose data channels (made by the initiator: alice, who sorts first) lose
 * the first frame `lose` picks and close a moment later: a channel that died with it in its buffer.
 */
function losingWrtc(lose: (data: unknown) => boolean) {
  const Base = wrtc.RTCPeerConnection as unknown as typeof RTCPeerConnection;
  let lost = false;
  class Losing extends Base {
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, init);
      const send = channel.send.bind(channel) as (data: unknown) => void;
      channel.send = ((data: unknown) => {
        if (lost || !lose(data)) return send(data);
        lost = true;
        setTimeout(() => channel.close(), 50);
      }) as RTCDataChannel['send'];
      return channel;
    }
  }
  return {
    platform: { ...wrtc, RTCPeerConnection: Losing } as unknown as EngineOptions['wrtc'],
    lost: () => lost,
  };
}

async function pair(alicesOptions: Partial<EngineOptions> = {}) {
  const alice = await signedIn(server.url, 'alice', alicesOptions);
  const bob = await signedIn(server.url, 'bob');
  await befriend(alice.engine, bob.engine);
  return { alice, bob };
}

describe('engine: files', () => {
  it('sends a file whole and checked, with progress on both sides; a chat message does not wait', async () => {
    const { alice, bob } = await pair();
    const aliceSeen = fileEvents(alice.engine);
    const bobSeen = fileEvents(bob.engine);
    const data = bytes(20 * 1024 * 1024 + 777);
    const sent = await alice.engine.files.sendPrivate(
      'bob',
      new Blob([data], { type: 'application/zip' }),
      '资料 v2.zip',
    );
    expect(sent).toMatchObject({
      direction: 'out',
      peer: 'bob',
      size: data.byteLength,
      name: '资料 v2.zip',
    });

    // Mid-transfer, a message overtakes the file.
    await eventually(() => (last(bobSeen, sent.id)?.bytes ?? 0) > 0, 15_000, 'bytes arriving');
    const msg = await alice.engine.sendPrivate('bob', 'while the file moves');
    await waitForState(alice.engine, 'u:bob', msg.id, ['delivered'], 10_000);
    const fileWhenMessageArrived = last(bobSeen, sent.id);

    await eventually(() => last(bobSeen, sent.id)?.state === 'done', 60_000, 'bob has it');
    await eventually(() => last(aliceSeen, sent.id)?.state === 'done', 10_000, 'alice knows');
    expect(fileWhenMessageArrived?.state).not.toBe('done');
    expect(await findMessage(bob.engine, 'u:alice', msg.id)).toMatchObject({
      text: 'while the file moves',
    });

    const received = last(bobSeen, sent.id)!;
    expect(received).toMatchObject({
      direction: 'in',
      peer: 'alice',
      conversation: 'u:alice',
      mime: 'application/zip',
      bytes: data.byteLength,
    });
    expect(await hashOf(await bob.engine.files.blob(received.key))).toBe(bytesToHex(sha256(data)));
    // Progress on both sides: intermediate byte counts, and a rate while moving.
    const partial = (seen: FileTransfer[]) =>
      seen.filter((f) => f.id === sent.id && f.bytes > 0 && f.bytes < data.byteLength);
    expect(partial(bobSeen).length).toBeGreaterThan(0);
    expect(partial(aliceSeen).length).toBeGreaterThan(0);
    expect(bobSeen.some((f) => f.id === sent.id && f.rate > 0)).toBe(true);
    expect(await bob.engine.files.usage()).toEqual({ files: 1, bytes: data.byteLength });
    await bob.engine.files.clear();
    expect(await bob.engine.files.usage()).toEqual({ files: 0, bytes: 0 });
    expect(await bob.engine.files.blob(received.key)).toBeNull();
  }, 90_000);

  it('says so when the peer is offline, refuses what is too large on either side', async () => {
    const alice = await signedIn(server.url, 'alice', { maxFileBytes: 1024 * 1024 });
    const bob = await signedIn(server.url, 'bob', { maxFileBytes: 100_000 });
    await befriend(alice.engine, bob.engine);
    await expect(
      alice.engine.files.sendPrivate('bob', new Blob([new Uint8Array(2 * 1024 * 1024)]), 'big.bin'),
    ).rejects.toThrow(/too large/);
    await expect(
      alice.engine.files.sendPrivate('carol', new Blob(['x']), 'x.txt'),
    ).rejects.toThrow();

    const aliceSeen = fileEvents(alice.engine);
    const bobNotices: unknown[] = [];
    bob.engine.on((e) => {
      if (e.type === 'file-notice') bobNotices.push(e);
    });
    const sent = await alice.engine.files.sendPrivate('bob', new Blob([bytes(200_000)]), 'mid.bin');
    await eventually(() => last(aliceSeen, sent.id)?.state === 'failed', 15_000, 'refused');
    // Data, worded where it is shown (problem.ts): here as bob's app would say it to alice.
    expect(last(aliceSeen, sent.id)?.error).toEqual({ reason: 'peer-too-large', username: 'bob' });
    expect(bobNotices).toEqual([
      {
        type: 'file-notice',
        level: 'info',
        problem: {
          reason: 'offer-too-large',
          username: 'alice',
          name: 'mid.bin',
          size: 200_000,
          max: 100_000,
        },
      },
    ]);
    expect(await bob.engine.files.list()).toEqual([]);

    await bob.engine.logout();
    await eventually(() =>
      alice.engine.social.friends.some((f) => f.username === 'bob' && f.status === 'offline'),
    );
    await expect(alice.engine.files.sendPrivate('bob', new Blob(['hi']), 'hi.txt')).rejects.toThrow(
      'files go directly: bob is offline',
    );
  });

  it('cancels from the receiver, and pauses and resumes from the sender', async () => {
    const { alice, bob } = await pair();
    const aliceSeen = fileEvents(alice.engine);
    const bobSeen = fileEvents(bob.engine);
    const data = bytes(20 * 1024 * 1024, 7);

    const one = await alice.engine.files.sendPrivate('bob', new Blob([data]), 'one.bin');
    await eventually(() => (last(bobSeen, one.id)?.bytes ?? 0) > 0, 15_000, 'moving');
    const bobKey = last(bobSeen, one.id)!.key;
    await bob.engine.files.cancel(bobKey);
    await eventually(() => last(aliceSeen, one.id)?.state === 'cancelled', 10_000, 'alice told');
    expect(last(bobSeen, one.id)?.state).toBe('cancelled');
    expect(await bob.engine.files.blob(bobKey)).toBeNull();
    expect((await bob.engine.files.usage()).bytes).toBe(0);

    const two = await alice.engine.files.sendPrivate('bob', new Blob([data]), 'two.bin');
    await eventually(() => (last(bobSeen, two.id)?.bytes ?? 0) > 0, 15_000, 'moving');
    alice.engine.files.pause(two.key);
    await eventually(
      () => last(bobSeen, two.id)?.pausedByPeer === true,
      5_000,
      'bob sees the pause',
    );
    await sleep(500);
    const held = last(bobSeen, two.id)!.bytes;
    await sleep(700);
    expect(last(bobSeen, two.id)!.bytes).toBe(held);
    expect(held).toBeLessThan(data.byteLength);
    alice.engine.files.resume(two.key);
    await eventually(() => last(bobSeen, two.id)?.state === 'done', 60_000, 'done after resume');
    expect(await hashOf(await bob.engine.files.blob(last(bobSeen, two.id)!.key))).toBe(
      bytesToHex(sha256(data)),
    );
  }, 90_000);

  it('resumes after the receiver reloads, from what it had stored, not from zero', async () => {
    const { alice, bob } = await pair();
    const aliceSeen = fileEvents(alice.engine);
    let bobSeen = fileEvents(bob.engine);
    const data = bytes(20 * 1024 * 1024, 3);
    const sent = await alice.engine.files.sendPrivate('bob', new Blob([data]), 'movie.bin');
    await eventually(
      () => (last(bobSeen, sent.id)?.bytes ?? 0) >= 1024 * 1024,
      30_000,
      'a first MiB',
    );
    await bob.engine.destroy(); // The tab closes mid-transfer.
    await eventually(() => last(aliceSeen, sent.id)?.state === 'waiting', 15_000, 'alice waits');

    const again = startEngine(server.url, bob.profile);
    bobSeen = fileEvents(again);
    expect(await again.resume()).toBe(true);
    await eventually(() => last(bobSeen, sent.id) !== undefined, 15_000, 'restored');
    const restored = bobSeen.find((f) => f.id === sent.id)!;
    expect(restored.bytes).toBeGreaterThan(0);
    await eventually(() => last(bobSeen, sent.id)?.state === 'done', 60_000, 'done after reload');
    await eventually(() => last(aliceSeen, sent.id)?.state === 'done', 10_000, 'alice done');
    expect(await hashOf(await again.files.blob(restored.key))).toBe(bytesToHex(sha256(data)));
  }, 90_000);

  it('sends the end again when the channel died with it: the receiver has every chunk and goes on from there', async () => {
    // A socket that misses its pings (a loaded machine) reads as offline for a moment, and the
    // other side closes the channel: what was still in its buffer is gone, the file's end with it.
    const losing = losingWrtc((data) => typeof data === 'string' && data.includes('"file-end"'));
    const { alice, bob } = await pair({ wrtc: losing.platform });
    const aliceSeen = fileEvents(alice.engine);
    const bobSeen = fileEvents(bob.engine);
    const data = bytes(3 * 1024 * 1024, 5);
    const sent = await alice.engine.files.sendPrivate('bob', new Blob([data]), 'crew.bin');
    await eventually(losing.lost, 30_000, 'the end lost with the channel');
    await eventually(() => last(bobSeen, sent.id)?.state === 'done', 30_000, 'bob has it');
    await eventually(() => last(aliceSeen, sent.id)?.state === 'done', 10_000, 'alice knows');
    expect(await hashOf(await bob.engine.files.blob(last(bobSeen, sent.id)!.key))).toBe(
      bytesToHex(sha256(data)),
    );
  }, 90_000);

  it('after the sender reloads: interrupted, the receiver holds its chunks, and picking the file again goes on from them', async () => {
    const { alice, bob } = await pair();
    let aliceSeen = fileEvents(alice.engine);
    const bobSeen = fileEvents(bob.engine);
    const data = bytes(20 * 1024 * 1024, 5);
    const sent = await alice.engine.files.sendPrivate('bob', new Blob([data]), 'clip.bin');
    await eventually(
      () => (last(bobSeen, sent.id)?.bytes ?? 0) >= 1024 * 1024,
      30_000,
      'a first MiB',
    );
    await alice.engine.destroy(); // The sender's tab closes: the File it was reading is gone.

    const again = startEngine(server.url, alice.profile);
    aliceSeen = fileEvents(again);
    expect(await again.resume()).toBe(true);
    await eventually(
      async () => (await again.files.list()).some((f) => f.id === sent.id),
      10_000,
      'alice lists it',
    );
    const interrupted = (await again.files.list()).find((f) => f.id === sent.id)!;
    expect(interrupted).toMatchObject({ direction: 'out', state: 'interrupted', error: undefined });
    // Bob asks to go on and hears that the sender has to pick the file again: he keeps his chunks.
    await eventually(() => last(bobSeen, sent.id)?.peerLostFile === true, 30_000, 'bob told');
    const held = last(bobSeen, sent.id)!;
    expect(held.state).toBe('paused');
    expect(held.bytes).toBeGreaterThanOrEqual(1024 * 1024);

    // Not the same file (same size, other bytes): refused before anything moves.
    await expect(
      again.files.resend(interrupted.key, new Blob([bytes(data.byteLength, 6)])),
    ).rejects.toThrow(/not clip.bin/);
    await expect(again.files.resend(interrupted.key, new Blob([data.subarray(1)]))).rejects.toThrow(
      /not clip.bin/,
    );

    const from = bobSeen.length;
    const resent = await again.files.resend(interrupted.key, new Blob([data]));
    expect(resent.id).toBe(sent.id);
    await eventually(() => last(bobSeen, sent.id)?.state === 'done', 60_000, 'bob has it');
    await eventually(() => last(aliceSeen, sent.id)?.state === 'done', 10_000, 'alice done');
    // Bob's count never went back below what he held: it went on from his chunks.
    const afterwards = bobSeen.slice(from).filter((f) => f.id === sent.id);
    expect(afterwards.length).toBeGreaterThan(0);
    expect(Math.min(...afterwards.map((f) => f.bytes))).toBeGreaterThanOrEqual(held.bytes);
    expect(last(bobSeen, sent.id)?.peerLostFile).toBe(false);
    expect(await hashOf(await bob.engine.files.blob(held.key))).toBe(bytesToHex(sha256(data)));
    // Nothing left to send again.
    await expect(again.files.resend(interrupted.key, new Blob([data]))).rejects.toThrow(
      /no interrupted file/,
    );
  }, 120_000);

  it('removing an interrupted file tells the receiver, who drops its chunks', async () => {
    const { alice, bob } = await pair();
    const bobSeen = fileEvents(bob.engine);
    const data = bytes(20 * 1024 * 1024, 8);
    const sent = await alice.engine.files.sendPrivate('bob', new Blob([data]), 'gone.bin');
    await eventually(() => (last(bobSeen, sent.id)?.bytes ?? 0) > 0, 30_000, 'moving');
    await alice.engine.destroy();
    const again = startEngine(server.url, alice.profile);
    expect(await again.resume()).toBe(true);
    await eventually(() => last(bobSeen, sent.id)?.peerLostFile === true, 30_000, 'bob told');
    await again.files.remove(sent.key);
    await eventually(() => last(bobSeen, sent.id)?.state === 'cancelled', 10_000, 'bob cancelled');
    expect((await bob.engine.files.usage()).bytes).toBe(0);
    expect(await again.files.list()).toEqual([]);
  }, 90_000);

  it('sends a group file to each online member, with an offline one named', async () => {
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    const carol = await signedIn(server.url, 'carol');
    const group = await alice.engine.createGroup('files');
    await joinGroup(alice.engine, bob.engine, group.id);
    await joinGroup(alice.engine, carol.engine, group.id);
    await carol.engine.logout();
    await sleep(300);
    const bobSeen = fileEvents(bob.engine);
    const data = bytes(300_000, 9);
    const sent = await alice.engine.files.sendGroup(
      group.id,
      new Blob([data], { type: 'image/png' }),
      'pic.png',
      {
        thumb: { mime: 'image/jpeg', data: 'AAAA' },
      },
    );
    expect(sent.map((t) => [t.peer, t.state]).sort()).toEqual([
      ['bob', 'offered'],
      ['carol', 'offline'],
    ]);
    expect(sent.find((t) => t.peer === 'carol')?.error).toEqual({
      reason: 'offline',
      username: 'carol',
    });
    await eventually(() => last(bobSeen, sent[0]!.id)?.state === 'done', 30_000, 'bob has it');
    expect(last(bobSeen, sent[0]!.id)).toMatchObject({
      conversation: `g:${group.id}`,
      thumb: { mime: 'image/jpeg', data: 'AAAA' },
    });
  });
});

describe('engine: a hostile sender', () => {
  async function hostile() {
    const bob = await signedIn(server.url, 'bob');
    const aaronUser = await handmadeUser(server.url, 'aaron');
    await call(aaronUser.socket, 'friends:request', { username: 'bob' });
    await eventually(() => bob.engine.social.incoming.includes('aaron'));
    await bob.engine.respondFriend('aaron', true);
    const raw = await rawPeer(aaronUser, 'bob');
    const bobSeen = fileEvents(bob.engine);
    const offer = (id: string, size: number, digest: string | null = 'sha256-chunks') =>
      raw.peer.send(
        JSON.stringify({
          v: 1,
          type: 'file-offer',
          id,
          conversation: 'private',
          name: 'x.bin',
          size,
          mime: 'application/octet-stream',
          chunkSize: 65536,
          ...(digest === null ? {} : { digest }),
          sentAt: Date.now(),
        }),
      );
    const chunk = (id: string, index: number, data: Uint8Array, hash = sha256(data)) =>
      raw.peer.send(encodeChunk({ id, index, sha256: hash, data }));
    return { bob, raw, bobSeen, offer, chunk };
  }

  it('cuts off a sender that goes beyond its window or its size, and the receiver carries on', async () => {
    const { bob, raw, bobSeen, offer, chunk } = await hostile();
    offer('flood', 65536 * 200);
    await eventually(
      () => raw.frames.some((f) => f.type === 'file-accept' && f.id === 'flood'),
      5_000,
      'accept',
    );
    const accept = raw.frames.find((f) => f.type === 'file-accept') as unknown as {
      window: number;
    };
    const block = bytes(65536);
    // Chunk 0, then chunk `window + 1`: past anything the receiver can have allowed. (Sending the
    // chunks before it too would race the window sliding as they are stored.)
    chunk('flood', 0, block);
    chunk('flood', accept.window + 1, block);
    await eventually(() => last(bobSeen, 'flood')?.state === 'failed', 10_000, 'cut off');
    expect(last(bobSeen, 'flood')?.error).toEqual({
      reason: 'cut-off',
      username: 'aaron',
      name: 'x.bin',
      what: 'oversent',
    });
    expect(raw.frames).toContainEqual({
      v: 1,
      type: 'file-cancel',
      id: 'flood',
      role: 'receiver',
      reason: 'protocol',
    });
    expect((await bob.engine.files.usage()).bytes).toBe(0);

    // A file of one short chunk that then sends a second: beyond the size announced.
    offer('over', 1000);
    await eventually(
      () => raw.frames.some((f) => f.type === 'file-accept' && f.id === 'over'),
      5_000,
      'accept',
    );
    chunk('over', 1, bytes(1000));
    await eventually(() => last(bobSeen, 'over')?.state === 'failed', 10_000, 'cut off');

    // A chunk of the wrong length.
    offer('short', 70_000);
    await eventually(
      () => raw.frames.some((f) => f.type === 'file-accept' && f.id === 'short'),
      5_000,
      'accept',
    );
    chunk('short', 0, bytes(100));
    await eventually(
      () => {
        const error = last(bobSeen, 'short')?.error;
        return error?.reason === 'cut-off' && error.what === 'chunk-size';
      },
      10_000,
      'cut off',
    );

    // Chunks of a file never offered are ignored; bob still talks.
    chunk('never', 0, bytes(10));
    raw.peer.send(
      JSON.stringify({
        v: 1,
        type: 'msg',
        id: 'still',
        conversation: 'private',
        text: 'still here',
        sentAt: Date.now(),
      }),
    );
    await eventually(
      () => raw.frames.some((f) => f.type === 'ack' && f.id === 'still'),
      5_000,
      'ack',
    );
    expect((await bob.engine.files.list()).map((f) => f.id).sort()).toEqual([
      'flood',
      'over',
      'short',
    ]);
  });

  it('asks again for a damaged chunk, refuses a file whose content hash is wrong, and a lie about the end', async () => {
    const { bob, raw, bobSeen, offer, chunk } = await hostile();
    const data = bytes(65536 + 5000, 4);
    const first = data.subarray(0, 65536);
    const second = data.subarray(65536);
    offer('damaged', data.byteLength);
    await eventually(
      () => raw.frames.some((f) => f.type === 'file-accept' && f.id === 'damaged'),
      5_000,
      'accept',
    );
    chunk('damaged', 0, first, new Uint8Array(32)); // The hash does not match its data.
    await eventually(
      () => raw.frames.some((f) => f.type === 'file-resume' && f.id === 'damaged'),
      5_000,
      'asked again',
    );
    expect(raw.frames.find((f) => f.type === 'file-resume' && f.id === 'damaged')).toMatchObject({
      role: 'receiver',
      from: 0,
    });
    chunk('damaged', 0, first);
    chunk('damaged', 1, second);
    raw.peer.send(
      JSON.stringify({
        v: 1,
        type: 'file-end',
        id: 'damaged',
        sha256: contentHashOf(data, 65536),
      }),
    );
    await eventually(() => last(bobSeen, 'damaged')?.state === 'done', 10_000, 'done');
    expect(raw.frames).toContainEqual({
      v: 1,
      type: 'file-ack',
      id: 'damaged',
      upTo: 2,
      window: 0,
    });
    expect(await hashOf(await bob.engine.files.blob(last(bobSeen, 'damaged')!.key))).toBe(
      bytesToHex(sha256(data)),
    );

    offer('liar', 1000);
    await eventually(
      () => raw.frames.some((f) => f.type === 'file-accept' && f.id === 'liar'),
      5_000,
      'accept',
    );
    chunk('liar', 0, bytes(1000));
    raw.peer.send(JSON.stringify({ v: 1, type: 'file-end', id: 'liar', sha256: 'ab'.repeat(32) }));
    await eventually(() => last(bobSeen, 'liar')?.state === 'failed', 10_000, 'refused');
    expect(last(bobSeen, 'liar')?.error).toEqual({ reason: 'damaged' });
    expect(await bob.engine.files.blob(last(bobSeen, 'liar')!.key)).toBeNull();

    // The plain SHA-256 of the whole file (what an older client announced) is not the digest.
    const whole = bytes(70_000, 6);
    offer('plain', whole.byteLength);
    await eventually(
      () => raw.frames.some((f) => f.type === 'file-accept' && f.id === 'plain'),
      5_000,
      'accept',
    );
    chunk('plain', 0, whole.subarray(0, 65536));
    chunk('plain', 1, whole.subarray(65536));
    raw.peer.send(
      JSON.stringify({ v: 1, type: 'file-end', id: 'plain', sha256: bytesToHex(sha256(whole)) }),
    );
    await eventually(() => last(bobSeen, 'plain')?.state === 'failed', 10_000, 'refused');
    expect(raw.frames).toContainEqual({
      v: 1,
      type: 'file-cancel',
      id: 'plain',
      role: 'receiver',
      reason: 'corrupt',
    });
  });

  it('a cancel right behind its offer still ends the file (the offer was still being taken in)', async () => {
    const { raw, bobSeen, offer } = await hostile();
    // Back to back, as a sender signing out sends them: the receiver is still writing the offer's
    // record when the cancel comes.
    offer('quick', 65536 * 100);
    raw.peer.send(
      JSON.stringify({
        v: 1,
        type: 'file-cancel',
        id: 'quick',
        role: 'sender',
        reason: 'cancelled',
      }),
    );
    await eventually(() => last(bobSeen, 'quick')?.state === 'cancelled', 10_000, 'cancelled');
    // And it stays so: nothing later brings it back.
    await sleep(200);
    expect(last(bobSeen, 'quick')?.state).toBe('cancelled');
  });

  it('refuses an offer that does not name the content hash (an older client), at once', async () => {
    const { bob, raw, bobSeen, offer } = await hostile();
    offer('older', 1000, null);
    await eventually(
      () => raw.frames.some((f) => f.type === 'file-cancel' && f.id === 'older'),
      5_000,
      'refused',
    );
    expect(raw.frames.find((f) => f.id === 'older')).toMatchObject({
      type: 'file-cancel',
      role: 'receiver',
      reason: 'refused',
    });
    offer('unknown', 1000, 'sha3-chunks');
    await eventually(
      () => raw.frames.some((f) => f.type === 'file-cancel' && f.id === 'unknown'),
      5_000,
      'refused',
    );
    expect(last(bobSeen, 'older')).toBeUndefined();

    // And the other way: an accept without the name is an older receiver, which would fail the
    // file at its end; the sender stops at once and says why.
    const out = await bob.engine.files.sendPrivate('aaron', new Blob([bytes(5000)]), 'y.bin');
    await eventually(
      () => raw.frames.some((f) => f.type === 'file-offer' && f.id === out.id),
      10_000,
      'offer',
    );
    expect(raw.frames.find((f) => f.id === out.id)).toMatchObject({ digest: 'sha256-chunks' });
    raw.peer.send(JSON.stringify({ v: 1, type: 'file-accept', id: out.id, from: 0, window: 8 }));
    await eventually(() => last(bobSeen, out.id)?.state === 'failed', 10_000, 'stopped');
    expect(last(bobSeen, out.id)?.error).toEqual({ reason: 'peer-app-old', username: 'aaron' });
    expect(raw.frames).toContainEqual({
      v: 1,
      type: 'file-cancel',
      id: out.id,
      role: 'sender',
      reason: 'refused',
    });
  });
});
