/**
 * The sign-in screen's words for why a session ended (web/src/state/session-ended.ts): each reason
 * this client knows by its own sentence, and one a newer server sends (or anything else that came
 * over the wire) as the generic "Your session has ended. Sign in again." in either language,
 * never a missing sentence or a throw.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SESSION_END_REASONS } from '../../shared/events.ts';
import { KEYS_LOCKED_REASONS } from '../../web/src/core/e2ee/keys.ts';
import { sessionEndedWords } from '../../web/src/state/session-ended.ts';
import { i18n } from '../../web/src/state/i18n/locale.svelte.ts';

afterEach(() => i18n.set('en'));

const GENERIC = {
  en: { title: 'Your session has ended', body: 'Sign in again.' },
  'zh-CN': { title: '你的会话已结束', body: '请重新登录。' },
} as const;

describe('sessionEndedWords', () => {
  for (const lang of ['en', 'zh-CN'] as const) {
    it(`words every known reason in ${lang}, and a reason from a newer server generically`, () => {
      i18n.set(lang);
      for (const reason of [...SESSION_END_REASONS, 'network', ...KEYS_LOCKED_REASONS]) {
        const words = sessionEndedWords(reason);
        expect(words.title, reason).not.toBe('');
        expect(words.body, reason).not.toBe('');
        expect(words, reason).not.toEqual(GENERIC[lang]);
        if (lang === 'zh-CN') expect(words.title + words.body, reason).toMatch(/\p{Script=Han}/u);
      }
      expect(sessionEndedWords('replaced')).toEqual(sessionEndedWords('elsewhere'));
      expect(sessionEndedWords('keys-locked')).not.toEqual(sessionEndedWords('keys-elsewhere'));
      expect(sessionEndedWords('keys-locked')).not.toEqual(sessionEndedWords('logout'));
      for (const reason of ['maintenance', 'constructor', 'toString', '', undefined, 7, null]) {
        expect(sessionEndedWords(reason), String(reason)).toEqual(GENERIC[lang]);
      }
    });
  }

  it('says why the keys are locked in each language', () => {
    expect(sessionEndedWords('keys-elsewhere')).toEqual({
      title: 'Your keys changed on another device',
      body: 'Sign in with your password to restore them on this device.',
    });
    i18n.set('zh-CN');
    expect(sessionEndedWords('keys-locked')).toEqual({
      title: '登录以解锁你的消息',
      body: '请用密码登录，以在此设备上解锁你的消息。',
    });
  });
});
