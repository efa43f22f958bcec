/**
 * The sign-in screen's words for why a session ended (web/src/state/session-ended.ts): each reason
 * this client knows by its own sentence, and one a newer server sends (or anything else that came
 * over the wire) as the generic "Your session has ended. Sign in again." in either language,
 * never a missing sentence or a throw.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SESSION_END_REASONS } from '../../shared/events.ts';
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
      for (const reason of [...SESSION_END_REASONS, 'network']) {
        const words = sessionEndedWords(reason);
        expect(words.title, reason).not.toBe('');
        expect(words.body, reason).not.toBe('');
        expect(words, reason).not.toEqual(GENERIC[lang]);
        if (lang === 'zh-CN') expect(words.title + words.body, reason).toMatch(/\p{Script=Han}/u);
      }
      expect(sessionEndedWords('replaced')).toEqual(sessionEndedWords('elsewhere'));
      for (const reason of ['maintenance', 'constructor', 'toString', '', undefined, 7, null]) {
        expect(sessionEndedWords(reason), String(reason)).toEqual(GENERIC[lang]);
      }
    });
  }
});
