/**
 * A modified client, for tests from the attacker's side: a raw socket with published keys and a
 * hand-made simple-peer connection that signs its offer as the engine would (so the channel
 * opens), then sends whatever frames the test writes, checked or not.
 */
import wrtc from '@roamhq/wrtc';
import Peer, { type Instance, type Options } from 'simple-peer';
import { signChannel } from '../../web/src/core/e2ee/channel-auth.ts';
import { generateIdentity, parseBundle, type Identity } from '../../web/src/core/e2ee/identity.ts';
import { pairKey, seal } from '../../web/src/core/e2ee/seal.ts';
import { call, connectSocket, register, type ClientSocket } from './server.ts';
import { ok } from './social.ts';

export interface HandmadeUser {
  username: string;
  socket: ClientSocket;
  identity: Identity;
  token: string;
}

/** Registers `username`, connects a raw socket and publishes keys (with a backup nobody opens). */
export async function handmadeUser(url: string, username: string): Promise<HandmadeUser> {
  const auth = await register(url, username);
  const socket = await connectSocket(url, auth.token);
  const identity = generateIdentity();
  ok(await call(socket, 'keys:publish', { publicKey: identity.bundle, backup: 'b1.not-a-backup' }));
  return { username, socket, identity, token: auth.token };
}

type Frame = { type?: string; id?: string };

const made: Instance[] = [];
let sids = 0;

/** Destroys every hand-made connection (afterEach). */
export function destroyHandmadePeers(): void {
  for (const p of made.splice(0)) p.destroy();
}

/**
 * A data channel from `user` to `to`, the hand-made side initiating (pick a name that sorts
 * first: the engine's rule). Resolves once it is open.
 */
export async function rawPeer(user: HandmadeUser, to: string) {
  const sid = `handmade${++sids}`;
  const p = new Peer({ initiator: true, trickle: true, wrtc: wrtc as unknown as Options['wrtc'] });
  made.push(p);
  const frames: Frame[] = [];
  p.on('signal', (data) => {
    const sdp = (data as { sdp?: string }).sdp;
    const auth =
      (data.type === 'offer' || data.type === 'answer') && sdp
        ? (signChannel(user.identity, { from: user.username, to, sid, type: data.type, sdp }) ??
          undefined)
        : undefined;
    void call(user.socket, 'signal:send', {
      to,
      signal: { v: 1, sid, data: { ...data }, ...(auth ? { auth } : {}) },
    });
  });
  user.socket.on('signal', ({ signal }) => {
    if (signal.sid === sid && signal.data)
      p.signal(signal.data as Parameters<Instance['signal']>[0]);
  });
  p.on('data', (d: Uint8Array) => frames.push(JSON.parse(new TextDecoder().decode(d)) as Frame));
  await new Promise<void>((resolve, reject) => {
    p.once('connect', () => resolve());
    p.once('error', reject);
  });
  const acked = (id: string) => frames.some((f) => f.type === 'ack' && f.id === id);
  return { peer: p, frames, acked };
}

/**
 * What `user`'s client would hand the offline store for `to`: `plaintext` sealed to the bundle
 * the server publishes for them (a modified client seals what it likes; it can only seal as itself).
 */
export function sealAs(
  user: HandmadeUser,
  to: { username: string; bundle: string },
  id: string,
  plaintext: string,
  groupId?: number,
): string {
  const theirs = parseBundle(to.bundle);
  if (!theirs) throw new Error(`${to.username} has no valid published key`);
  const key = pairKey(user.identity, theirs);
  return seal(key, { from: user.username, to: to.username, id, groupId }, plaintext);
}
