/**
 * The engine's notices about keys, channels and stored messages as sentences (web/src/core/
 * notices.ts): every kind and every cause reads as a sentence in English and in Chinese with the
 * names it needs, never with a code in it, and a kind or cause this client does not know (a newer
 * engine's, a missing field) reads as a sentence too, never as a throw.
 */
import { describe, expect, it } from 'vitest';
import {
  impostorReasonText,
  noticeText,
  type BackupCause,
  type EngineNotice,
  type EngineNoticeKind,
  type StoredDropCause,
} from '../../web/src/core/notices.ts';

/** One of each kind, keyed so a kind added to the union fails the type check here. */
const EXAMPLES: Record<EngineNoticeKind, { notice: EngineNotice; names: string[] }> = {
  'refused-no-key': { notice: { kind: 'refused-no-key', username: 'carol' }, names: ['carol'] },
  'connecting-new-key': {
    notice: { kind: 'connecting-new-key', username: 'carol' },
    names: ['carol'],
  },
  impostor: {
    notice: { kind: 'impostor', username: 'mallory', reason: 'bad-signature' },
    names: ['mallory'],
  },
  'publish-key-needed': { notice: { kind: 'publish-key-needed' }, names: [] },
  'backup-unopened': { notice: { kind: 'backup-unopened', cause: 'wrong-password' }, names: [] },
  'stored-dropped': {
    notice: { kind: 'stored-dropped', from: 'alice', cause: 'integrity' },
    names: ['alice'],
  },
};

const DROP_CAUSES: Record<StoredDropCause, true> = {
  'no-key': true,
  integrity: true,
  'not-a-message': true,
  'id-differs': true,
  'no-group': true,
  'group-differs': true,
  'group-as-private': true,
};
const BACKUP_CAUSES: Record<BackupCause, true> = { malformed: true, 'wrong-password': true };

const CODE = /[a-z]+-[a-z]+|\{|\}|undefined/;
const HAN = /\p{Script=Han}/u;

describe('noticeText', () => {
  for (const [kind, { notice, names }] of Object.entries(EXAMPLES)) {
    it(`words ${kind} in both languages with its names`, () => {
      const en = noticeText(notice, 'en');
      const zh = noticeText(notice, 'zh');
      expect(en).not.toMatch(HAN);
      expect(zh).toMatch(HAN);
      expect(en).not.toBe(zh);
      for (const text of [en, zh]) {
        expect(text).not.toMatch(CODE);
        for (const name of names) expect(text).toContain(name);
      }
    });
  }

  it('says the whole sentence (English as before, Chinese in Chinese)', () => {
    expect(noticeText(EXAMPLES['refused-no-key'].notice, 'en')).toBe(
      'A connection from carol was refused: no security key is known for them yet.',
    );
    expect(noticeText(EXAMPLES['refused-no-key'].notice, 'zh')).toBe(
      '一个来自 carol 的连接被拒绝：尚不知道 ta 的安全密钥。',
    );
    expect(noticeText(EXAMPLES.impostor.notice, 'en')).toBe(
      "A connection claiming to be mallory was refused: its security signature does not match mallory's key. Someone may be trying to intercept; compare your safety number with mallory.",
    );
    expect(noticeText(EXAMPLES.impostor.notice, 'zh')).toBe(
      '一个自称是 mallory 的连接被拒绝：它的安全签名与 mallory 的密钥不符。可能有人试图拦截，请与 mallory 核对安全码。',
    );
  });

  it('words every cause of a dropped copy, each differently, in both languages', () => {
    for (const lang of ['en', 'zh'] as const) {
      const texts = Object.keys(DROP_CAUSES).map((cause) =>
        noticeText({ kind: 'stored-dropped', from: 'alice', cause }, lang),
      );
      expect(new Set(texts).size).toBe(texts.length);
      for (const text of texts) {
        expect(text).not.toMatch(CODE);
        expect(text).toContain('alice');
        if (lang === 'zh') expect(text).toMatch(HAN);
        else expect(text).not.toMatch(HAN);
      }
    }
    expect(noticeText({ kind: 'stored-dropped', from: 'alice', cause: 'no-key' }, 'zh')).toBe(
      '一条来自 alice 的存储消息已被丢弃：尚不知道 alice 的安全密钥。',
    );
  });

  it('words every cause of an unopened backup, each differently', () => {
    for (const lang of ['en', 'zh'] as const) {
      const texts = Object.keys(BACKUP_CAUSES).map((cause) =>
        noticeText({ kind: 'backup-unopened', cause }, lang),
      );
      expect(new Set(texts).size).toBe(texts.length);
      for (const text of texts) expect(text).not.toMatch(CODE);
    }
  });

  it('reads what it does not know as a sentence, never a throw or the raw data', () => {
    for (const lang of ['en', 'zh'] as const) {
      const generic = noticeText({ kind: 'from-a-newer-engine', text: 'raw words' }, lang);
      expect(generic).toBe(noticeText(undefined, lang));
      expect(generic).toBe(noticeText('A connection from x was refused', lang));
      expect(generic).not.toContain('raw words');
      expect(generic.length).toBeGreaterThan(0);
      const odd = noticeText({ kind: 'stored-dropped', from: 'alice', cause: 'newer' }, lang);
      expect(odd).toContain('alice');
      expect(odd).not.toContain('newer');
      const nameless = noticeText({ kind: 'refused-no-key' }, lang);
      expect(nameless).not.toMatch(CODE);
      expect(noticeText({ kind: 'backup-unopened', cause: 7 }, lang)).not.toMatch(CODE);
    }
  });

  it('words the impostor reason for the banner, an unknown one as the signature mismatch', () => {
    expect(impostorReasonText('bad-signature', 'bob', 'en')).toBe(
      "its security signature does not match bob's key",
    );
    expect(impostorReasonText('bad-signature', 'bob', 'zh')).toBe('它的安全签名与 bob 的密钥不符');
    expect(impostorReasonText('something newer', 'bob', 'zh')).toBe(
      impostorReasonText('bad-signature', 'bob', 'zh'),
    );
  });
});
