/**
 * PROTOCOL.md is the contract a stranger writes a client from, so what it states about the wire is
 * checked against the code here: a change on either side without the other fails this file.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, HTTP_STATUS } from '../../shared/errors.ts';
import { errors } from '../../signaling/error-catalogue.ts';
import {
  RELATION_END_REASONS,
  SESSION_END_REASONS,
  type ClientToServer,
  type FriendInfo,
  type GroupInfo,
  type ServerToClient,
} from '../../shared/events.ts';
import { LIMITS, MESSAGE_ID_PATTERN } from '../../shared/limits.ts';
import { parseFrame } from '../../shared/peer-wire.ts';
import * as S from '../../shared/schemas.ts';
import { doc, fields, quoted, row, section } from '../helpers/protocol-doc.ts';

/** The error table: one row per code, its HTTP status, and the `details` keys it names (`key`: ...). */
function documentedErrors(): Map<string, { status: number; details: string[] }> {
  const lines = doc.split('\n');
  const header = lines.findIndex((l) => /^\| code +\| HTTP +\| meaning +\| details +\|$/.test(l));
  if (header < 0) throw new Error('PROTOCOL.md has no error table');
  const documented = new Map<string, { status: number; details: string[] }>();
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [code = '', status = '', , details = ''] = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    const name = /^`([A-Z_]+)`$/.exec(code)?.[1] ?? code;
    if (documented.has(name)) throw new Error(`PROTOCOL.md's error table lists ${name} twice`);
    documented.set(name, {
      status: Number(status),
      details: [...details.matchAll(/`(\w+)`:/g)].map((m) => m[1] ?? '').sort(),
    });
  }
  return documented;
}

/**
 * Every key of T, and no other, at compile time: a field added to or dropped from the contract's
 * type without this list fails `tsc` ("not assignable to parameter of type 'never'"); the list is
 * then checked against PROTOCOL.md below.
 */
function keysOf<T>() {
  return <const K extends readonly (keyof T)[]>(
    keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : never),
  ): readonly string[] => keys as readonly string[];
}
const FRIEND_INFO_KEYS = keysOf<FriendInfo>()(['username', 'status', 'publicKey']);
const GROUP_INFO_KEYS = keysOf<GroupInfo>()([
  'id',
  'number',
  'name',
  'creator',
  'owner',
  'role',
  'online',
  'total',
  'blocked',
  'public',
]);

const KEYS_CHANGED_KEYS = keysOf<Parameters<ServerToClient['keys:changed']>[0]>()([
  'username',
  'publicKey',
]);
/** What a successful ack of event E carries. */
type AckOf<E extends keyof ClientToServer> = Extract<
  Parameters<Parameters<ClientToServer[E]>[1]>[0],
  { ok: true }
>['data'];
const KEYS_RESTORE_KEYS = keysOf<AckOf<'keys:restore'>>()(['publicKey', 'backup']);

describe('PROTOCOL.md against the code', () => {
  const documentedErrorTable = documentedErrors();

  it('lists every error code with its HTTP status, one row each, and no other', () => {
    expect(
      Object.fromEntries([...documentedErrorTable].map(([code, row]) => [code, row.status])),
    ).toEqual(Object.fromEntries(ERROR_CODES.map((code) => [code, HTTP_STATUS[code]])));
  });

  it('names, for each code, exactly the details keys its catalogue entries carry', () => {
    const carried = new Map<string, Set<string>>(ERROR_CODES.map((code) => [code, new Set()]));
    for (const entry of Object.values(errors))
      for (const key of entry.detailKeys) carried.get(entry.code)?.add(key);
    expect(
      Object.fromEntries([...documentedErrorTable].map(([code, row]) => [code, row.details])),
    ).toEqual(Object.fromEntries([...carried].map(([code, keys]) => [code, [...keys].sort()])));
  });

  const values = section('### Values on the wire');

  it('states the message id rule the schemas enforce', () => {
    const stated = `^${MESSAGE_ID_PATTERN.source.slice(1, -2)}{1,${LIMITS.messageIdMax}}$`;
    expect(values).toContain(`\`${stated}\``);
    const frame = (id: string) =>
      JSON.stringify({ v: 1, type: 'msg', id, conversation: 'private', text: 'hi', sentAt: 1 });
    expect(parseFrame(frame('a'.repeat(LIMITS.messageIdMax))).ok).toBe(true);
    expect(parseFrame(frame('a'.repeat(LIMITS.messageIdMax + 1))).ok).toBe(false);
    expect(parseFrame(frame('a.b')).ok).toBe(false);
  });

  it('states the payload cap in UTF-16 units, and lengths are counted that way', () => {
    expect(values).toContain(`${LIMITS.offlinePayloadMax.toLocaleString('en')} UTF-16 units`);
    expect('小红'.length).toBe(2);
    expect('😀'.length).toBe(2);
    expect(values).toContain("`'小红'` is 2, `'😀'` is 2");
  });

  it('refuses the sentAt values it says are refused, and takes the bounds it states', () => {
    expect(values).toContain('integer from 0 to 8.64e15');
    const frame = (sentAt: unknown) =>
      parseFrame(
        JSON.stringify({ v: 1, type: 'msg', id: 'x', conversation: 'private', text: 'hi', sentAt }),
      ).ok;
    expect(frame(0)).toBe(true);
    expect(frame(8.64e15)).toBe(true);
    expect(frame(8.64e15 + 1)).toBe(false);
    expect(frame(-1)).toBe(false);
    expect(frame(1.5)).toBe(false);
    expect(frame('1700000000000')).toBe(false);
  });

  describe('events the server sends, and acks', () => {
    const toClient = '### Server to client';
    const toServer = '### Client to server';

    it('lists exactly the relation:ended reasons of the contract', () => {
      expect(quoted(row(toClient, 'relation:ended')[1] ?? '')).toEqual([...RELATION_END_REASONS]);
    });

    it('lists exactly the session:ended reasons of the contract', () => {
      expect(quoted(row(toClient, 'session:ended')[1] ?? '')).toEqual([...SESSION_END_REASONS]);
    });

    it("states friends:added's shape: { friend: FriendInfo }", () => {
      const cell = row(toClient, 'friends:added')[1] ?? '';
      expect(cell).toMatch(/^`\{ friend: \{/);
      expect(fields(cell)).toEqual(FRIEND_INFO_KEYS);
    });

    it("states groups:create's ack: the new GroupInfo", () => {
      expect(fields(row(toServer, 'groups:create')[2] ?? '')).toEqual(GROUP_INFO_KEYS);
    });

    it('states the payloads of the key events as their schemas take them', () => {
      expect(fields(row(toServer, 'keys:publish')[1] ?? '')).toEqual(
        Object.keys(S.keysPublish.shape),
      );
      expect(fields(row(toServer, 'auth:changePassword')[1] ?? '')).toEqual(
        Object.keys(S.changePassword.shape),
      );
      expect(fields(row(toServer, 'keys:restore')[2] ?? '')).toEqual(KEYS_RESTORE_KEYS);
      expect(fields(row(toClient, 'keys:changed')[1] ?? '')).toEqual(KEYS_CHANGED_KEYS);
    });
  });

  describe('end-to-end keys', () => {
    const keys = section('### End-to-end keys');

    it('states the size limits the schemas enforce', () => {
      const publicKeyMax = LIMITS.publicKeyMax.toLocaleString('en');
      const keyBackupMax = LIMITS.keyBackupMax.toLocaleString('en');
      expect(keys).toContain(`\`publicKey\` 1-${publicKeyMax}`);
      expect(keys).toContain(`\`backup\` 1-${keyBackupMax}`);
      const publish = (publicKey: string, backup: string) =>
        S.keysPublish.safeParse({ publicKey, backup }).success;
      expect(publish('k'.repeat(LIMITS.publicKeyMax), 'b'.repeat(LIMITS.keyBackupMax))).toBe(true);
      expect(publish('k'.repeat(LIMITS.publicKeyMax + 1), 'b')).toBe(false);
      expect(publish('k', 'b'.repeat(LIMITS.keyBackupMax + 1))).toBe(false);
    });

    it('states the alphabet the schemas enforce', () => {
      expect(keys).toContain('`^[\\x21-\\x7e]+$`');
      const publish = (publicKey: string) =>
        S.keysPublish.safeParse({ publicKey, backup: 'b' }).success;
      expect(publish('!"#azAZ09+/=~')).toBe(true);
      for (const bad of ['', 'a b', 'tab\t', 'é', '😀', '\u007f']) expect(publish(bad)).toBe(false);
    });
  });
});
