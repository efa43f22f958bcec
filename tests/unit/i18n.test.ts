/**
 * The interface language: which one a browser gets, and server errors said in it by their code and
 * details, never by the server's own English message (tests/unit/error-text.test.ts has every code).
 */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type WireError } from '../../shared/errors.ts';
import { EngineError } from '../../web/src/core/api.ts';
import { dayLabel, errorText } from '../../web/src/state/format.ts';
import { m } from '../../web/src/paraglide/messages.js';
import { browserLang, i18n } from '../../web/src/state/i18n/locale.svelte.ts';

const err = (wire: WireError) => new EngineError(wire);

describe('browserLang', () => {
  it('gives Chinese to a browser whose first language is any Chinese', () => {
    expect(browserLang(['zh-CN', 'en'])).toBe('zh-CN');
    expect(browserLang(['zh'])).toBe('zh-CN');
    expect(browserLang(['zh-TW'])).toBe('zh-CN');
    expect(browserLang(['ZH-hans-CN'])).toBe('zh-CN');
  });
  it('gives English to everyone else, and to a browser that names none', () => {
    expect(browserLang(['en-US', 'zh-CN'])).toBe('en');
    expect(browserLang(['fr'])).toBe('en');
    expect(browserLang([])).toBe('en');
  });
});

describe('errorText', () => {
  it("says a server error in an English sentence, not in the server's words", () => {
    const e = err({ code: 'USERNAME_TAKEN', message: 'the username "li" is taken', details: {} });
    expect(errorText(e, 'en')).toBe('That username is taken. Pick another.');
    expect(errorText(e, 'zh-CN')).toBe('该用户名已被占用，请换一个。');
  });

  it('says every error code in Chinese', () => {
    for (const code of ERROR_CODES) {
      const text = errorText(
        err({ code, message: 'english', details: { field: 'username' } }),
        'zh-CN',
      );
      expect(text, code).not.toBe('english');
      expect(text, code).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('reads the details the table names', () => {
    const zhText = (wire: WireError) => errorText(err(wire), 'zh-CN');
    expect(zhText({ code: 'RATE_LIMITED', message: 'x', details: { retryAfterMs: 2_100 } })).toBe(
      '操作太频繁，请 3 秒后再试。',
    );
    expect(
      zhText({
        code: 'USERNAME_TAKEN',
        message: 'x',
        details: { rule: 'confusable', similarTo: 'pop' },
      }),
    ).toContain('“pop”');
    expect(
      zhText({
        code: 'BAD_REQUEST',
        message: 'x',
        details: { field: 'username', rule: 'mixed-script' },
      }),
    ).toContain('混用');
    expect(zhText({ code: 'NOT_FOUND', message: 'x', details: { username: 'bob' } })).toBe(
      '找不到用户“bob”。',
    );
  });

  it('says the sentence for the code where the details say no more', () => {
    const bad = err({ code: 'BAD_REQUEST', message: 'body is not valid JSON' });
    expect(errorText(bad, 'en')).toBe('The server could not accept this request.');
    expect(errorText(bad, 'zh-CN')).toBe('服务器无法接受这个请求。');
  });

  it('passes other errors through as their message', () => {
    expect(errorText(new Error('boom'), 'zh-CN')).toBe('boom');
    expect(errorText('plain', 'zh-CN')).toBe('plain');
  });
});

describe('the messages', () => {
  // That every locale has every message is scripts/check-messages.ts (tests/unit/check-messages).
  it('follow the switch without a reload, days included', () => {
    i18n.set('zh-CN');
    expect(m.sidebar_friends()).toBe('好友');
    expect(m.sidebar_requestSentTo({ name: 'bob' })).toBe('已向 bob 发送好友请求');
    expect(dayLabel(Date.now())).toBe('今天');
    i18n.set('en');
    expect(m.sidebar_friends()).toBe('Friends');
    expect(dayLabel(Date.now())).toBe('Today');
  });

  it('are typed: a wrong key or wrong parameters fail the type check', () => {
    // Never called: tsc (npm run check) fails if any of these lines stops being an error.
    const misuse = () => [
      // @ts-expect-error no such message
      m.sidebar_nope(),
      // @ts-expect-error a parameter left out
      m.sidebar_requestSentTo({}),
      // @ts-expect-error a parameter it does not take
      m.sidebar_requestSentTo({ name: 'bob', extra: 1 }),
      // @ts-expect-error no such language
      m.sidebar_friends({}, { locale: 'fr' }),
    ];
    expect(typeof misuse).toBe('function');
  });

  it('say counts in the plural English needs', () => {
    expect(m.search_count({ n: 1 }, { locale: 'en' })).toBe('1 message');
    expect(m.search_count({ n: 3 }, { locale: 'en' })).toBe('3 messages');
    expect(m.rooms_counts({ online: 1, total: 1 }, { locale: 'en' })).toBe('1 online · 1 member');
    expect(m.files_stored({ count: 2, size: '3 KB' }, { locale: 'zh-CN' })).toBe(
      '本设备保存了 2 个文件（3 KB）',
    );
  });
});
