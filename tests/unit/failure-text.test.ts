/**
 * A failed message's reason is kept as an error code with details (issue 12) and worded in the
 * reader's language only when shown: the web's `errorText`, and the engine's command lines (the
 * terminal's too) through `CoreText.errorText`. Records from before codes keep their English text.
 */
import { describe, expect, it } from 'vitest';
import type { WireError } from '../../shared/errors.ts';
import type { ChatMessage } from '../../web/src/core/api.ts';
import { describe as describeOutcome } from '../../web/src/core/command-lines.ts';
import { CORE_TEXT } from '../../web/src/core/text.ts';
import { errorText } from '../../web/src/state/format.ts';

const full: WireError = {
  code: 'QUOTA_EXCEEDED',
  message: "bob's offline mailbox is full",
  details: { username: 'bob' },
};
const keyChanged: WireError = {
  code: 'FORBIDDEN',
  message: "bob's security key changed: compare your safety number and accept the new key",
  details: { reason: 'key-changed', username: 'bob' },
};
const noKey: WireError = {
  code: 'NOT_FOUND',
  message: 'bob has no security key yet',
  details: { reason: 'no-key', username: 'bob' },
};

const failedMessage = (extra: Partial<ChatMessage>): ChatMessage => ({
  id: 'm1',
  conversation: 'u:bob',
  from: 'alice',
  text: 'hi',
  sentAt: 1,
  state: 'failed',
  ...extra,
});

describe('a stored failure, worded when shown', () => {
  it('in the web UI: a sentence in the reader’s language, never the stored English message', () => {
    expect(errorText({ wire: full }, 'en')).toBe('Their offline mailbox is full. Try again later.');
    expect(errorText({ wire: full }, 'zh-CN')).toBe('对方的离线信箱已满，请稍后再试。');
    expect(errorText({ wire: keyChanged }, 'zh-CN')).toBe(
      'bob 的安全密钥已更改：请核对安全码并接受新密钥，然后再发送。',
    );
    expect(errorText({ wire: noKey }, 'zh-CN')).toBe(
      'bob 还没有安全密钥（对方需要先用此应用登录一次）。',
    );
    expect(errorText({ wire: keyChanged }, 'en')).toBe(
      'bob’s security key has changed: compare your safety number and accept the new key, then send again.',
    );
    expect(errorText({ wire: noKey }, 'en')).toBe(
      'bob has no security key yet (they need to sign in once with this app).',
    );
  });

  it('in a command’s result line, in the front end’s language', () => {
    const m = failedMessage({ failure: full });
    expect(describeOutcome(m, 'bob', CORE_TEXT.en)).toBe(
      'not sent to bob: Their offline mailbox is full. Try again later.',
    );
    expect(describeOutcome(m, 'bob', CORE_TEXT.zh)).toBe(
      '未能发送给 bob：对方的离线信箱已满，请稍后再试。',
    );
  });

  it('a record from before codes keeps its text; one with neither says so', () => {
    const old = failedMessage({ error: 'the server did not answer (offline:store)' });
    expect(describeOutcome(old, 'bob', CORE_TEXT.zh)).toBe(
      '未能发送给 bob：the server did not answer (offline:store)',
    );
    expect(describeOutcome(failedMessage({}), 'bob', CORE_TEXT.zh)).toBe(
      '未能发送给 bob：未知错误',
    );
  });

  it('a code the catalogue does not know reads as a sentence, not a crash', () => {
    const odd = { wire: { code: 'NO_SUCH_CODE', message: 'strange' } };
    expect(errorText(odd, 'en')).toBe(
      'The server refused this for a reason this app does not know. It may need updating.',
    );
    expect(errorText(odd, 'zh-CN')).toBe(
      '服务器拒绝了这个请求，原因此应用无法识别，可能需要更新。',
    );
    const failed = failedMessage({ failure: odd.wire as unknown as WireError });
    expect(describeOutcome(failed, 'bob', CORE_TEXT.en)).toBe(
      'not sent to bob: The server refused this for a reason this app does not know. It may need updating.',
    );
  });

  it('an error of the engine’s own is worded by its reason, not as the server’s', () => {
    const surprise = failedMessage({
      failure: {
        code: 'INTERNAL',
        message: 'TypeError: x is undefined',
        details: { reason: 'engine' },
      },
    });
    expect(describeOutcome(surprise, 'bob', CORE_TEXT.en)).toBe(
      'not sent to bob: Something went wrong in this app. Try again.',
    );
    expect(describeOutcome(surprise, 'bob', CORE_TEXT.zh)).toBe(
      '未能发送给 bob：此应用出了点问题，请重试。',
    );
  });
});
