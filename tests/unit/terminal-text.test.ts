/**
 * The terminal's own words (terminal/text.ts): Paraglide messages called with the locale named,
 * so both languages come out of one process, and the choices made in TypeScript (a presence, a
 * direction, a plural, why a session ended) pick the right words in each.
 */
import { describe, expect, it } from 'vitest';
import { TERMINAL_TEXT } from '../../terminal/text.ts';

const { en, zh } = TERMINAL_TEXT;

describe('TerminalText', () => {
  it('says a presence change in words, a status it does not know as it came', () => {
    expect(en.presence('bob', 'online')).toBe('bob is online');
    expect(en.presence('bob', 'away')).toBe('bob is away');
    expect(zh.presence('bob', 'offline')).toBe('bob 已离线');
    expect(zh.presence('bob', 'busy')).toBe('bob 状态：忙碌');
    expect(zh.presence('bob', 'dancing')).toBe('bob 状态：dancing');
  });

  it('says why a session ended by its reason, and a reason it does not know as a plain end', () => {
    expect(en.sessionEnded(en.ended('blocked'))).toBe(
      'signed out: your account has been blocked by an administrator',
    );
    expect(zh.sessionEnded(zh.ended('elsewhere'))).toBe('已退出登录：你已在其他地方登录');
    const untyped = en.ended as (reason: string | undefined) => string;
    for (const reason of [undefined, 'moved-to-mars', 'constructor'])
      expect(untyped(reason)).toBe('your session has ended; sign in again');
  });

  it('words a transfer by its direction, with the rate and time left only when known', () => {
    expect(en.files.line(3, 'in', 'photo.jpg', '1.2 MiB', 'alice', 'done')).toBe(
      '3. ↓ photo.jpg (1.2 MiB) from alice: done',
    );
    expect(zh.files.line(3, 'out', 'photo.jpg', '1.2 MiB', 'alice', '完成')).toBe(
      '3. ↑ photo.jpg（1.2 MiB）发给 alice：完成',
    );
    expect(en.files.progress('out', 'bob', 'report.pdf', 42, '3.1 MiB', '0:12')).toBe(
      '↑ report.pdf → bob 42% 3.1 MiB/s 0:12 left',
    );
    expect(zh.files.progress('in', 'bob', 'report.pdf', 42, '', '0:12')).toBe(
      '↓ report.pdf ← bob 42% 剩余 0:12',
    );
    expect(en.files.progress('in', 'bob', 'report.pdf', 7, '', '')).toBe('↓ report.pdf ← bob 7%');
    expect(en.files.waiting(1)).toBe('waiting for 1 file transfer to finish');
    expect(en.files.waiting(2)).toBe('waiting for 2 file transfers to finish');
    expect(zh.files.waiting(2)).toBe('正在等待 2 个文件传输完成');
    expect(zh.files.states.interrupted).toBe('已中断（发送时客户端已关闭）');
  });
});
