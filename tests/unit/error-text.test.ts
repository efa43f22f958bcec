/**
 * Errors as sentences (web/src/core/error-text.ts): every code, with no details and with each
 * shape of details the server (PROTOCOL.md's error table) or the engine sends, reads as a sentence
 * for people in English and in Chinese, chosen by code and details: never the error's `message`,
 * which is the server's terse English for logs. A code from a newer server, or details of a shape
 * nobody promised, still read as a sentence.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type AppError, type ErrorCode } from '../../shared/errors.ts';
import { errors } from '../../signaling/error-catalogue.ts';
import { wireErrorText, type ErrorLike } from '../../web/src/core/error-text.ts';
import { CORE_TEXT } from '../../web/src/core/text.ts';

const en = (wire: ErrorLike) => wireErrorText(wire, 'en');
const zh = (wire: ErrorLike) => wireErrorText(wire, 'zh');

/** A sentence for people: a capital (or a name) to start, a full stop to end, no Chinese. */
function expectEnglish(text: string, what: string, names: string[] = []): void {
  expect(/^[A-Z]/.test(text) || names.some((n) => text.startsWith(n)), `${what}: ${text}`).toBe(
    true,
  );
  expect(text, what).toMatch(/\.$/);
  expect(text, what).not.toMatch(/\p{Script=Han}/u);
  for (const name of names) expect(text, what).toContain(name);
}

/** A Chinese sentence: Han characters, a full stop to end, and no English words but the names. */
function expectChinese(text: string, what: string, names: string[] = []): void {
  expect(text, what).toMatch(/\p{Script=Han}/u);
  expect(text, what).toMatch(/。$/);
  let prose = text;
  for (const name of names) {
    expect(text, what).toContain(name);
    prose = prose.replaceAll(name, '');
  }
  expect(prose, what).not.toMatch(/[A-Za-z]{2,}/);
}

/** Every shape of details documented for a code (PROTOCOL.md), and the engine's own reasons. */
const SHAPES: Record<ErrorCode, { details: Record<string, unknown>; names?: string[] }[]> = {
  BAD_REQUEST: [
    { details: { field: 'username' } },
    { details: { field: 'username', rule: 'length' } },
    { details: { field: 'username', rule: 'invisible' } },
    { details: { field: 'username', rule: 'characters' } },
    { details: { field: 'username', rule: 'mixed-script' } },
    { details: { field: 'password' } },
    { details: { field: 'newPassword' } },
    { details: { field: 'oldPassword' } },
    { details: { field: 'text' } },
    { details: { field: 'name' } },
    { details: { field: 'fileName' } },
    { details: { field: 'items.0.payload' } },
    { details: { reason: 'system-conversation' } },
    { details: { reason: 'sending-now' } },
    { details: { reason: 'not-failed' } },
    { details: { reason: 'no-interrupted-file' } },
    { details: { reason: 'other-file', name: 'report.pdf' }, names: ['report.pdf'] },
    {
      details: { reason: 'file-too-large', name: 'film.mkv', max: '2.0 GiB' },
      names: ['film.mkv', '2.0 GiB'],
    },
    { details: { reason: 'no-settled-key', username: 'bob' }, names: ['bob'] },
  ],
  UNAUTHENTICATED: [{ details: { reason: 'keys-locked' } }],
  FORBIDDEN: [
    { details: { groupId: 3 } },
    { details: { reason: 'key-changed', username: 'bob' }, names: ['bob'] },
    { details: { reason: 'system-conversation' } },
    { details: { reason: 'not-yours' } },
  ],
  INVALID_CREDENTIALS: [],
  USERNAME_TAKEN: [
    { details: { rule: 'same' } },
    { details: { rule: 'confusable', similarTo: 'pop' }, names: ['pop'] },
  ],
  USER_BLOCKED: [{ details: { username: 'bob' }, names: ['bob'] }],
  RATE_LIMITED: [{ details: { retryAfterMs: 1 } }, { details: { retryAfterMs: 2_100 } }],
  NOT_FOUND: [
    { details: { username: 'zoë' }, names: ['zoë'] },
    { details: { groupId: 3 } },
    { details: { group: 'crew', creator: 'nobody' }, names: ['crew', 'nobody'] },
    { details: { reason: 'no-key', username: 'bob' }, names: ['bob'] },
    { details: { reason: 'no-message' } },
  ],
  SELF: [],
  ALREADY_FRIENDS: [],
  REQUEST_PENDING: [],
  NOT_FRIENDS: [{ details: { username: 'bob' }, names: ['bob'] }],
  NOT_MEMBER: [{ details: { groupId: 3 } }, { details: { username: 'bob' }, names: ['bob'] }],
  ALREADY_MEMBER: [{ details: { groupId: 3 } }],
  GROUP_EXISTS: [],
  GROUP_LIMIT: [],
  GROUP_FULL: [],
  GROUP_BLOCKED: [],
  OFFLINE: [{ details: { reason: 'file', username: 'bob' }, names: ['bob'] }],
  QUOTA_EXCEEDED: [{ details: { perSender: 100 } }],
  UNKNOWN_EVENT: [],
  INTERNAL: [
    { details: { reason: 'not-connected' } },
    { details: { reason: 'no-answer' } },
    { details: { reason: 'unreachable' } },
    { details: { reason: 'engine' } },
  ],
};

describe('every error code', () => {
  it.each(ERROR_CODES)('%s reads as a sentence in both languages, with no details', (code) => {
    expectEnglish(en({ code }), code);
    expectChinese(zh({ code }), code);
    expect(en({ code, details: {} })).toBe(en({ code }));
  });

  it.each(ERROR_CODES)('%s: each documented shape of details has its own sentence', (code) => {
    const generic = { en: en({ code }), zh: zh({ code }) };
    for (const { details, names } of SHAPES[code]) {
      const what = `${code} ${JSON.stringify(details)}`;
      const said = { en: en({ code, details }), zh: zh({ code, details }) };
      expectEnglish(said.en, what, names);
      expectChinese(said.zh, what, names);
      // Details that say more get more than the generic sentence (USERNAME_TAKEN's `same` is
      // the generic case itself, and a field the table has no word for gets the generic one).
      if (details.rule !== 'same' && details.field !== 'items.0.payload') {
        expect(said.en, what).not.toBe(generic.en);
        expect(said.zh, what).not.toBe(generic.zh);
      }
    }
  });
});

describe('the sentences', () => {
  it('say a bad username in words, not as the server put it', () => {
    const wire = {
      code: 'BAD_REQUEST',
      message: 'username: a username may contain letters, digits, "_", "-" and "."',
      details: { field: 'username', rule: 'characters' },
    };
    expect(en(wire)).toBe(
      'A username may contain only letters, digits, underscores (_), hyphens (-) and dots (.).',
    );
    expect(zh(wire)).toBe('用户名只能包含字母、数字和 _ - . 这几个符号。');
    expect(en({ code: 'BAD_REQUEST', details: { field: 'username', rule: 'length' } })).toBe(
      'A username has 2 to 32 characters.',
    );
    expect(en({ code: 'BAD_REQUEST', details: { field: 'password' } })).toBe(
      'A password has 8 to 256 characters.',
    );
    expect(en({ code: 'BAD_REQUEST', details: { field: 'text' } })).toBe(
      'The message text is not valid: check it and try again.',
    );
    expect(zh({ code: 'BAD_REQUEST', details: { field: 'text' } })).toBe(
      '消息内容不符合要求，请检查后重试。',
    );
  });

  it('read the details the table names', () => {
    expect(en({ code: 'INVALID_CREDENTIALS' })).toBe('Wrong username or password.');
    expect(en({ code: 'RATE_LIMITED', details: { retryAfterMs: 2_100 } })).toBe(
      'Too many tries. Try again in 3 seconds.',
    );
    expect(en({ code: 'RATE_LIMITED', details: { retryAfterMs: 400 } })).toBe(
      'Too many tries. Try again in 1 second.',
    );
    expect(zh({ code: 'RATE_LIMITED', details: { retryAfterMs: 2_100 } })).toBe(
      '操作太频繁，请 3 秒后再试。',
    );
    expect(en({ code: 'USERNAME_TAKEN', details: { rule: 'confusable', similarTo: 'pop' } })).toBe(
      'That username looks too much like the existing user “pop”. Pick another.',
    );
    expect(en({ code: 'NOT_FOUND', details: { username: 'bob' } })).toBe(
      'There is no user named “bob”.',
    );
    expect(zh({ code: 'NOT_FOUND', details: { username: 'bob' } })).toBe('找不到用户“bob”。');
    expect(en({ code: 'NOT_FOUND', details: { group: 'crew', creator: 'nobody' } })).toBe(
      'There is no group “crew” created by nobody.',
    );
    expect(en({ code: 'NOT_FRIENDS', details: { username: 'bob' } })).toBe(
      'You and bob are not friends.',
    );
    expect(en({ code: 'ALREADY_MEMBER', details: { groupId: 4 } })).toBe(
      'You are in this room already.',
    );
    expect(en({ code: 'GROUP_LIMIT' })).toBe('You own 10 groups, the most one person may.');
    expect(zh({ code: 'GROUP_LIMIT' })).toBe('你创建的群组已达上限（10 个）。');
    expect(en({ code: 'INTERNAL', details: { reason: 'not-connected' } })).toBe(
      'Not connected to the server. Wait for the connection and try again.',
    );
  });

  it('word every error the server can send, each as a sentence and never as its message', () => {
    const params = {
      problem: 'a username may contain letters, digits, "_", "-" and "."',
      field: 'username',
      rule: 'characters',
      username: 'bob',
      similarTo: 'b0b',
      what: 'logins',
      retryAfterMs: 1_500,
      groupId: 3,
      name: 'crew',
      creator: 'alice',
      max: 50,
      perSender: 100,
      methods: ['GET'],
      path: '/x',
      event: 'nope',
    };
    const entries = Object.entries(errors) as unknown as [string, (p: object) => AppError][];
    expect(entries.length).toBeGreaterThan(40);
    for (const [name, raise] of entries) {
      const wire = raise(params).toWire();
      expect(en(wire), name).not.toBe(wire.message);
      expectEnglish(en(wire), name, wire.details?.username ? ['bob'] : []);
      expect(zh(wire), name).toMatch(/\p{Script=Han}.*。$/u);
    }
  });

  it('go into the command lines, in the front end’s language', () => {
    const refused = { code: 'ALREADY_FRIENDS', message: 'you and bob are already friends' };
    expect(CORE_TEXT.en.errorText(refused)).toBe('You are friends already.');
    expect(CORE_TEXT.zh.errorText(refused)).toBe('你们已经是好友了。');
  });
});

describe('what nobody promised', () => {
  it('a code this client does not know (a newer server’s) is a sentence, not a crash', () => {
    for (const code of ['NO_SUCH_CODE', 'constructor', '__proto__', 'toString', '']) {
      expect(en({ code })).toBe(
        'The server refused this for a reason this app does not know. It may need updating.',
      );
      expect(zh({ code })).toBe('服务器拒绝了这个请求，原因此应用无法识别，可能需要更新。');
    }
    const untyped = wireErrorText as (wire: unknown, lang: 'en') => string;
    expect(untyped({ code: 42 }, 'en')).toBe(en({ code: 'NO_SUCH_CODE' }));
  });

  it('details of the wrong shape fall back to the sentence for the code', () => {
    const odd = [null, 'text', 7, [], { field: 3 }, { rule: 'characters' }, { reason: 'toString' }];
    for (const details of odd) {
      const wire = { code: 'BAD_REQUEST', details } as unknown as ErrorLike;
      expect(en(wire), JSON.stringify(details)).toBe('The server could not accept this request.');
    }
    expect(en({ code: 'RATE_LIMITED', details: { retryAfterMs: 'soon' } })).toBe(
      'Too many tries. Wait a moment and try again.',
    );
    expect(en({ code: 'FORBIDDEN', details: { reason: 'key-changed' } })).toBe(
      'You are not allowed to do that.',
    );
    expect(en({ code: 'NOT_FOUND', details: { username: '' } })).toBe(
      'No such user, group or request.',
    );
  });
});
