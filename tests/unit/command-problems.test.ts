/**
 * The command parser's problems (shared/commands.ts `UsageDetail`) worded in each front end's
 * language by web/src/core/commands.ts `parseErrorText`, which the web's command bar and the
 * terminal client both use: both languages are built from the code and details (the parser holds
 * no words), so no English problem is left in a Chinese line, nor Chinese in an English one.
 */
import { describe, expect, it } from 'vitest';
import {
  COMMANDS,
  parseCommand,
  type CommandError,
  type UsageDetail,
} from '../../shared/commands.ts';
import { parseErrorText } from '../../web/src/core/commands.ts';
import { CORE_TEXT } from '../../web/src/core/text.ts';

const errorOf = (line: string): CommandError => {
  const r = parseCommand(line);
  if (r.ok) throw new Error(`${line} parsed`);
  return r.error;
};
const zh = (line: string) => parseErrorText(errorOf(line), CORE_TEXT.zh);
const en = (line: string) => parseErrorText(errorOf(line), CORE_TEXT.en);

/** A line for every kind of problem the parser reports. */
const LINES: Record<UsageDetail['kind'], string> = {
  missing: 'add',
  empty: 'add ""',
  noArguments: 'logout now',
  tooMany: 'add bob carol',
  groupNumber: 'sendgroup 0 hi',
  oneCommandName: 'help add send',
  status: 'status sleeping',
  unexpectedArgument: 'allusers online',
  unknownOption: 'allusers --offline',
  optionTwice: 'allusers --online --online',
  unterminatedQuote: 'send bob "hello',
  tooLong: `send bob ${'x'.repeat(70_001)}`,
  unparsable: '', // not reachable from a line (the parser's catch-all); worded below
};

describe('command problems in Chinese and English', () => {
  it('every kind the lines reach is the kind named, worded in Chinese without English words', () => {
    for (const [kind, line] of Object.entries(LINES)) {
      if (kind === 'unparsable') continue;
      const e = errorOf(line);
      expect(e.detail?.kind, line).toBe(kind);
      const text = zh(line);
      // Only the command's own syntax stays as typed: names, usage lines, placeholders, values.
      const prose = text
        .replace(/用法：.*$/u, '')
        .replace(/<[^>]+>|\[[^\]]+\]|"[^"]*"|--online|\b[a-z]+\b(?=：)/gu, '')
        .replace(/\b(online|away|busy)\b/gu, ''); // the statuses one can set, as typed
      expect(prose, text).not.toMatch(/[A-Za-z]{3,}/);
      expect(text).toMatch(/\p{Script=Han}/u);
      expect(en(line), line).not.toMatch(/\p{Script=Han}/u);
      expect(en(line), line).toMatch(/^[a-z]+: |^command too long/);
    }
    expect(CORE_TEXT.zh.problem({ kind: 'unparsable' })).toBe('无法解析这条命令');
    expect(CORE_TEXT.en.problem({ kind: 'unparsable' })).toBe('could not parse that command');
  });

  it("says every usage line's placeholders in the reader's language, and keeps the commands", () => {
    for (const { usage, name } of COMMANDS) {
      const zhLine = CORE_TEXT.zh.usageLine(usage);
      expect(CORE_TEXT.en.usageLine(usage)).toBe(usage);
      expect(zhLine.startsWith(name), zhLine).toBe(true);
      // What is left in Latin letters is what is typed as it is: the statuses and --online.
      const placeholders = zhLine.match(/<[^>]+>|\[[^\]]+\]/g) ?? [];
      for (const p of placeholders)
        expect(p.replace(/online|away|busy|--online/g, ''), zhLine).not.toMatch(/[A-Za-z]/);
    }
    expect(CORE_TEXT.zh.usageLine('sendfile <用户名> <路径>')).toBe('sendfile <用户名> <路径>');
  });

  it('reads as a person would write it, with the usage line', () => {
    expect(zh('add')).toBe('add：缺少 <用户名>。用法：add <用户名>');
    expect(en('add')).toBe('add: missing <username>. usage: add <username>');
    expect(zh('add bob carol')).toBe(
      'add：参数太多（应为 1 个，实际 2 个）；含空格的值请加引号。用法：add <用户名>',
    );
    expect(zh('sendgroup 2.5 hi')).toBe(
      'sendgroup：群组编号须为整数，收到的是 "2.5"。用法：sendgroup <群组编号> <消息...>',
    );
    expect(zh('status sleeping')).toBe(
      'status：应为 online、away、busy 之一，收到的是 "sleeping"。用法：status <online|away|busy>',
    );
    expect(zh('send bob "hello')).toBe(
      'send：第 10 列的双引号（"）没有闭合：请补上 "，或改用单引号括住文字',
    );
    expect(zh("'send bob")).toBe("第 1 列的单引号（'）没有闭合：请补上 '，或改用双引号括住文字");
    expect(zh(`send bob ${'x'.repeat(70_001)}`)).toBe('命令太长（最多 70000 个字符）');
    expect(zh('/')).toBe('空命令');
    expect(zh('/ add bob')).toBe('“/”后面缺少命令名。输入 help 查看命令列表。');
    expect(en('/ add bob')).toBe(
      'missing command name after "/". Type "help" for a list of commands.',
    );
  });
});
