/**
 * A file transfer's problems and the engine's file notices as sentences (web/src/core/files/
 * problem.ts): every reason reads as a sentence in English and in Chinese with the names it needs,
 * and what an older or newer version stored (an English string, an unknown reason, missing
 * fields) reads as a sentence too, never as the stored text.
 */
import { describe, expect, it } from 'vitest';
import {
  fileProblemText,
  storedProblem,
  type FileProblem,
  type FileProblemReason,
} from '../../web/src/core/files/problem.ts';

/** One of each reason, keyed so a reason added to the union fails the type check here. */
const EXAMPLES: Record<FileProblemReason, { problem: FileProblem; names: string[] }> = {
  offline: { problem: { reason: 'offline', username: 'carol' }, names: ['carol'] },
  'store-failed': { problem: { reason: 'store-failed' }, names: [] },
  damaged: { problem: { reason: 'damaged' }, names: [] },
  'damaged-often': { problem: { reason: 'damaged-often' }, names: [] },
  'peer-app-old': { problem: { reason: 'peer-app-old', username: 'bob' }, names: ['bob'] },
  'peer-too-large': { problem: { reason: 'peer-too-large', username: 'bob' }, names: ['bob'] },
  'peer-no-room': { problem: { reason: 'peer-no-room', username: 'bob' }, names: ['bob'] },
  'peer-damaged': { problem: { reason: 'peer-damaged', username: 'bob' }, names: [] },
  'peer-gone': { problem: { reason: 'peer-gone', username: 'bob' }, names: ['bob'] },
  'peer-protocol': { problem: { reason: 'peer-protocol', username: 'bob' }, names: ['bob'] },
  'peer-refused': { problem: { reason: 'peer-refused', username: 'bob' }, names: ['bob'] },
  'cut-off': {
    problem: { reason: 'cut-off', username: 'aaron', name: 'x.bin', what: 'oversent' },
    names: ['aaron', 'x.bin'],
  },
  'offer-app-old': {
    problem: { reason: 'offer-app-old', username: 'alice', name: 'a.txt' },
    names: ['alice', 'a.txt'],
  },
  'offer-too-large': {
    problem: {
      reason: 'offer-too-large',
      username: 'alice',
      name: 'mid.bin',
      size: 200_000,
      max: 100_000,
    },
    names: ['alice', 'mid.bin', '195 KiB', '98 KiB'],
  },
  'offer-no-room': {
    problem: { reason: 'offer-no-room', username: 'alice', name: '资料.zip' },
    names: ['alice', '资料.zip'],
  },
  unknown: { problem: { reason: 'unknown' }, names: [] },
};

function expectEnglish(text: string, what: string, names: string[]): void {
  expect(/^[A-Z]/.test(text) || names.some((n) => text.startsWith(n)), `${what}: ${text}`).toBe(
    true,
  );
  expect(text, what).toMatch(/\.$/);
  let prose = text;
  for (const name of names) {
    expect(text, what).toContain(name);
    prose = prose.replaceAll(name, '');
  }
  expect(prose, what).not.toMatch(/\p{Script=Han}/u);
}

function expectChinese(text: string, what: string, names: string[]): void {
  expect(text, what).toMatch(/。$/);
  let prose = text;
  for (const name of names) {
    expect(text, what).toContain(name);
    prose = prose.replaceAll(name, '');
  }
  expect(prose, what).toMatch(/\p{Script=Han}/u);
  expect(prose, what).not.toMatch(/[A-Za-z]{2,}/);
}

describe('file problems in both languages', () => {
  for (const [reason, { problem, names }] of Object.entries(EXAMPLES)) {
    it(reason, () => {
      expectEnglish(fileProblemText(problem, 'en'), reason, names);
      expectChinese(fileProblemText(problem, 'zh'), reason, names);
    });
  }

  it('names what a sender did wrong, each way, and a way this client does not know', () => {
    const cut = (what: string) => [
      fileProblemText({ reason: 'cut-off', username: 'aaron', name: 'x.bin', what }, 'en'),
      fileProblemText({ reason: 'cut-off', username: 'aaron', name: 'x.bin', what }, 'zh'),
    ];
    const all = ['oversent', 'chunk-size', 'repeats', 'from-the-future'].map(cut);
    expect(all[0]![0]).toBe(
      'aaron sent more than it announced for x.bin; the transfer was stopped.',
    );
    expect(all[1]![1]).toBe('aaron 发送 x.bin 时发送了大小不对的数据块，传输已停止。');
    expect(new Set(all.map(([en]) => en)).size).toBe(4);
    expect(new Set(all.map(([, zh]) => zh)).size).toBe(4);
    for (const [en, zh] of all) {
      expectEnglish(en!, 'cut-off', ['aaron', 'x.bin']);
      expectChinese(zh!, 'cut-off', ['aaron', 'x.bin']);
    }
  });

  it('words the offline member the way the file card shows it', () => {
    expect(fileProblemText({ reason: 'offline', username: 'carol' }, 'zh')).toBe(
      'carol 当前不在线：文件直接发送，请等对方上线后再发。',
    );
  });

  it('reads what an older or newer version stored as a sentence, never the stored text', () => {
    // Rows written before problems were data hold the English sentence itself.
    const old = storedProblem('files go directly: carol is offline');
    expect(old).toEqual({ reason: 'unknown' });
    expect(fileProblemText(old, 'zh')).toBe('传输失败。');
    expect(fileProblemText(old, 'en')).toBe('The transfer failed.');
    expect(storedProblem(undefined)).toBeUndefined();
    const kept: FileProblem = { reason: 'peer-gone', username: 'bob' };
    expect(storedProblem(kept)).toBe(kept);
    for (const stored of [
      { reason: 'from-a-newer-app', username: 'bob' },
      {},
      null,
      'x',
      7,
      {
        reason: 'constructor',
      },
    ]) {
      expect(fileProblemText(stored, 'en')).toBe('The transfer failed.');
      expect(fileProblemText(stored, 'zh')).toBe('传输失败。');
    }
    // A field of the wrong shape reads as an empty name, not as "[object Object]" or a throw.
    const odd = fileProblemText({ reason: 'offline', username: { evil: true } }, 'en');
    expect(odd).not.toContain('object');
  });
});
