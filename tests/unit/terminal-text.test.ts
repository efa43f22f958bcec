/**
 * The terminal's own words (terminal/text.ts): Paraglide messages called with the locale named,
 * so both languages come out of one process, and the choices made in TypeScript (a presence, a
 * direction, a plural, why a session ended) pick the right words in each.
 */
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { chosenLang, TERMINAL_TEXT } from '../../terminal/text.ts';

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
    expect(zh.ended('keys-elsewhere')).toBe('你的密钥已在另一台设备上更改，请用密码登录以恢复');
    expect(en.ended('keys-locked')).toBe(
      'sign in with your password to unlock your messages on this device',
    );
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

describe('the command line', () => {
  it('takes the language from --lang when it is valid, else from the environment', () => {
    expect(chosenLang(['--lang', 'zh'], 'en_US.UTF-8')).toBe('zh');
    expect(chosenLang(['--json', '--lang=en'], 'zh_CN.UTF-8')).toBe('en');
    expect(chosenLang(['--lang', 'fr'], 'zh_CN.UTF-8')).toBe('zh');
    expect(chosenLang(['--lang'], undefined)).toBe('en');
    expect(chosenLang(['--', '--lang', 'zh'], undefined)).toBe('en');
  });

  it('words each problem parseArgs reports in the chosen language, naming only the option', () => {
    const problem = (args: string[]): unknown => {
      try {
        parseArgs({
          args,
          options: { server: { type: 'string' }, json: { type: 'boolean' } },
          allowPositionals: false,
        });
      } catch (err) {
        return err;
      }
      throw new Error(`${args.join(' ')} parsed`);
    };
    expect(en.options.parseError(problem(['--bogus']))).toBe('unknown option --bogus');
    expect(zh.options.parseError(problem(['--bogus']))).toBe('未知选项 --bogus');
    expect(en.options.parseError(problem(['--server']))).toBe('--server needs a value');
    expect(zh.options.parseError(problem(['--server']))).toBe('--server 需要一个值');
    expect(zh.options.parseError(problem(['--json=yes']))).toBe('--json 不接受值');
    expect(zh.options.parseError(problem(['stray']))).toBe('多余的参数 stray：此命令只接受选项');
    // Something else thrown (or a message that quotes nothing) reads as the generic sentence.
    expect(zh.options.parseError(new Error('boom'))).toBe('无法读取这些选项');
    expect(en.options.parseError(null)).toBe('the options could not be read');
    expect(zh.options.badLang).toBe('--lang 必须是 zh 或 en');
    expect(zh.options.noScript('a.txt')).toBe('无法读取脚本 a.txt');
    expect(zh.options.badServer('ftp://x')).toContain('ftp://x');
  });

  it('has --help in both languages, every option in each', () => {
    for (const usage of [en.usage, zh.usage]) {
      for (const option of [
        '--server',
        '--lang',
        '--script',
        '--json',
        '--keep-going',
        '--data-dir',
      ])
        expect(usage).toContain(option);
    }
    expect(zh.usage).toMatch(/^用法：/);
    expect(en.usage).toMatch(/^usage: /);
  });
});
