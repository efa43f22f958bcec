/**
 * The crypto modules on their own (web/src/core/e2ee): identity bundles, the password-wrapped
 * backup, sealed copies, channel signatures, safety numbers, and the keyring's pinning rules.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { BackupError, unwrapIdentity, wrapIdentity } from '../../web/src/core/e2ee/backup.ts';
import { fingerprints, signChannel, verifyChannel } from '../../web/src/core/e2ee/channel-auth.ts';
import { fromBase64url, toBase64url } from '../../web/src/core/e2ee/codec.ts';
import { generateIdentity, parseBundle } from '../../web/src/core/e2ee/identity.ts';
import { Keyring, type TrustState } from '../../web/src/core/e2ee/keyring.ts';
import { open, pairKey, seal } from '../../web/src/core/e2ee/seal.ts';
import { safetyNumber } from '../../web/src/core/e2ee/safety-number.ts';

const flip = (text: string, at: number) =>
  text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);

describe('codec', () => {
  it('round-trips bytes and refuses anything but canonical unpadded base64url', () => {
    const bytes = new Uint8Array([0, 1, 250, 251, 252, 253, 254, 255]);
    expect(fromBase64url(toBase64url(bytes))).toEqual(bytes);
    expect(fromBase64url('AAE+')).toBeNull();
    expect(fromBase64url('AAE=')).toBeNull();
    expect(fromBase64url('AAF')).toBeNull(); // a second spelling of AAE
    expect(fromBase64url('AB')).toBeNull(); // a second spelling of AA
    expect(fromBase64url('AA')).toEqual(new Uint8Array([0]));
    for (let n = 0; n < 40; n++) {
      const random = crypto.getRandomValues(new Uint8Array(n));
      expect(fromBase64url(toBase64url(random))).toEqual(random);
    }
    expect(fromBase64url('AA', 2)).toBeNull();
  });
});

describe('identity bundles', () => {
  it('parses what it publishes, and refuses a bundle whose keys are not bound to each other', () => {
    const alice = generateIdentity();
    const mallory = generateIdentity();
    expect(parseBundle(alice.bundle)?.sign).toEqual(alice.sign);
    const [tag, sign, , binding] = alice.bundle.split('.');
    const spliced = [tag, sign, toBase64url(mallory.dh), binding].join('.');
    expect(parseBundle(spliced)).toBeNull();
    expect(parseBundle('k1.AAAA.BBBB.CCCC')).toBeNull();
    expect(parseBundle('')).toBeNull();
  });
});

// Each unwrap is a real Argon2id (19 MiB, about half a second, more on a busy machine).
describe('key backup', { timeout: 30_000 }, () => {
  it('restores the identity with the password, and nothing else opens it', async () => {
    const identity = generateIdentity();
    const backup = await wrapIdentity(identity, 'Alice', 'correct horse');
    expect(backup).toMatch(/^b1\.19456\.2\.1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const restored = await unwrapIdentity(backup, 'alice', identity.bundle, 'correct horse');
    expect(restored.bundle).toBe(identity.bundle);
    expect(restored.dhSecret).toEqual(identity.dhSecret);

    await expect(unwrapIdentity(backup, 'alice', identity.bundle, 'wrong horse')).rejects.toThrow(
      BackupError,
    );
    // Another account's name, or another published bundle: the server swapped blobs.
    await expect(unwrapIdentity(backup, 'bob', identity.bundle, 'correct horse')).rejects.toThrow(
      'does not open',
    );
    const other = generateIdentity();
    await expect(unwrapIdentity(backup, 'alice', other.bundle, 'correct horse')).rejects.toThrow(
      'does not open',
    );
    const parts = backup.split('.');
    parts[6] = flip(parts[6] as string, 5);
    await expect(
      unwrapIdentity(parts.join('.'), 'alice', identity.bundle, 'correct horse'),
    ).rejects.toThrow(BackupError);
  });

  it('refuses parameters a lying server could use to stall the device', async () => {
    const identity = generateIdentity();
    const backup = await wrapIdentity(identity, 'alice', 'pw-12345678');
    const parts = backup.split('.');
    for (const [i, value] of [
      [1, '4194304'],
      [2, '1000'],
      [3, '4'],
      [1, 'x'],
    ] as const) {
      const bad = [...parts];
      bad[i] = value;
      await expect(
        unwrapIdentity(bad.join('.'), 'alice', identity.bundle, 'pw-12345678'),
      ).rejects.toThrow('parameters');
    }
    await expect(unwrapIdentity('nonsense', 'alice', identity.bundle, 'pw')).rejects.toThrow(
      'format',
    );
  });
});

describe('sealed copies', () => {
  const alice = generateIdentity();
  const bob = generateIdentity();
  const mallory = generateIdentity();
  const context = { from: 'alice', to: 'bob', id: 'm1' };

  it('opens only with the pair key, for exactly the context it was sealed for', () => {
    const key = pairKey(alice, bob);
    expect(pairKey(bob, alice)).toEqual(key);
    const sealed = seal(key, context, '你好 bob');
    expect(sealed).not.toContain('bob');
    expect(open(key, context, sealed)).toBe('你好 bob');
    // Names compare as the server compares them.
    expect(open(key, { from: 'Alice', to: 'BOB', id: 'm1' }, sealed)).toBe('你好 bob');

    expect(open(pairKey(mallory, bob), context, sealed)).toBeNull();
    expect(open(key, { ...context, id: 'm2' }, sealed)).toBeNull();
    expect(open(key, { ...context, groupId: 7 }, sealed)).toBeNull();
    // Bob's copy for alice reflected back to him as if alice had sent it.
    expect(open(key, { from: 'bob', to: 'alice', id: 'm1' }, sealed)).toBeNull();
    expect(open(key, context, flip(sealed, sealed.length - 3))).toBeNull();
    expect(open(key, context, flip(sealed, 5))).toBeNull();
    expect(open(key, context, 'e1.AAAA')).toBeNull();
    expect(open(key, context, '{"v":1,"type":"msg"}')).toBeNull();
  });

  it('a full-length message of three-byte characters still fits the offline store', () => {
    const key = pairKey(alice, bob);
    const frame = JSON.stringify({ text: '汉'.repeat(8_000), pad: 'x'.repeat(200) });
    expect(seal(key, context, frame).length).toBeLessThan(64 * 1024);
  });
});

describe('channel signatures', () => {
  const alice = generateIdentity();
  const sdp = 'v=0\r\na=fingerprint:sha-256 AB:CD:EF\r\na=setup:actpass\r\n';
  const claim = { from: 'alice', to: 'bob', sid: 's1', type: 'offer', sdp };

  it('cover the fingerprint, the connection id, both names and the type', () => {
    expect(fingerprints(sdp)).toEqual(['sha-256 AB:CD:EF']);
    const sig = signChannel(alice, claim) as string;
    expect(verifyChannel(alice, claim, sig)).toBe(true);
    expect(verifyChannel(alice, { ...claim, sdp: sdp.replace('AB:CD', 'AB:CE') }, sig)).toBe(false);
    expect(verifyChannel(alice, { ...claim, sid: 's2' }, sig)).toBe(false);
    expect(verifyChannel(alice, { ...claim, to: 'carol' }, sig)).toBe(false);
    expect(verifyChannel(alice, { ...claim, type: 'answer' }, sig)).toBe(false);
    expect(verifyChannel(generateIdentity(), claim, sig)).toBe(false);
    expect(verifyChannel(alice, claim, undefined)).toBe(false);
    expect(verifyChannel(alice, claim, 'short')).toBe(false);
  });

  it('an SDP without a fingerprint is neither signed nor accepted', () => {
    const bare = { ...claim, sdp: 'v=0\r\n' };
    expect(signChannel(alice, bare)).toBeNull();
    expect(verifyChannel(alice, bare, signChannel(alice, claim) ?? undefined)).toBe(false);
  });
});

describe('safety numbers', () => {
  it('are the same on both sides, and differ when either key changes', () => {
    const alice = generateIdentity();
    const bob = generateIdentity();
    const a = { username: 'alice', key: alice };
    const b = { username: 'bob', key: bob };
    const number = safetyNumber(a, b);
    expect(number).toHaveLength(12);
    expect(number.every((g) => /^\d{5}$/.test(g))).toBe(true);
    expect(safetyNumber(b, a)).toEqual(number);
    expect(safetyNumber(a, { username: 'bob', key: generateIdentity() })).not.toEqual(number);
  });
});

describe('keyring', () => {
  async function ring(user = 'alice') {
    const trust: TrustState[] = [];
    const keyring = await Keyring.open(user, { indexedDB: new IDBFactory(), IDBKeyRange }, (t) =>
      trust.push(t),
    );
    await keyring.adopt(generateIdentity());
    return { keyring, trust };
  }

  it('pins the first key it sees, and holds a different one as a change for me to decide', async () => {
    const { keyring, trust } = await ring();
    const bob1 = generateIdentity();
    const bob2 = generateIdentity();
    await keyring.observe('bob', null);
    expect(keyring.trust('bob').state).toBe('none');
    await keyring.observe('bob', bob1.bundle);
    expect(keyring.trust('bob')).toMatchObject({ state: 'pinned', verified: false });
    await keyring.setVerified('Bob', true);
    const before = keyring.safetyNumber('bob');

    await keyring.observe('BOB', bob2.bundle);
    expect(keyring.trust('bob')).toMatchObject({ state: 'changed', wasVerified: true });
    // A list read before the change still shows the old key: that does not decide anything.
    await keyring.observe('bob', bob1.bundle);
    expect(keyring.trust('bob').state).toBe('changed');
    // The pinned key stays in use until I accept the new one.
    expect(keyring.keyFor('bob')?.bundle).toBe(bob1.bundle);
    expect(keyring.safetyNumber('bob', true)).not.toEqual(before);
    await expect(keyring.setVerified('bob', true)).rejects.toThrow();

    expect(await keyring.accept('bob')).toBe(true);
    expect(keyring.keyFor('bob')?.bundle).toBe(bob2.bundle);
    expect(keyring.trust('bob')).toMatchObject({ state: 'pinned', verified: false });
    expect(trust.map((t) => t.state)).toEqual(['pinned', 'pinned', 'changed', 'pinned']);
  });

  it('ignores a malformed bundle and my own name', async () => {
    const { keyring } = await ring();
    await keyring.observe('bob', 'k1.nope');
    await keyring.observe('alice', generateIdentity().bundle);
    expect(keyring.trust('bob').state).toBe('none');
    expect(keyring.trust('alice').state).toBe('none');
  });

  it('keeps its identity and pins across a reopen of the device', async () => {
    const indexedDB = new IDBFactory();
    const first = await Keyring.open('alice', { indexedDB, IDBKeyRange }, () => undefined);
    const identity = generateIdentity();
    await first.adopt(identity);
    await first.observe('bob', generateIdentity().bundle);
    first.close();
    const again = await Keyring.open('alice', { indexedDB, IDBKeyRange }, () => undefined);
    expect(again.identity?.bundle).toBe(identity.bundle);
    expect(again.trust('bob').state).toBe('pinned');
    again.close();
  });
});
