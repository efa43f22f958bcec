/**
 * scripts/check-messages.ts, which `npm run check` runs: a translation that lacks a message, has
 * one the base does not, or takes other parameters fails it; the project's own messages pass.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkProject, compareMessages, messageParams } from '../../scripts/check-messages.ts';

const base = {
  $schema: 'https://inlang.com/schema/inlang-message-format',
  hello: 'Hello {name}',
  plain: 'Plain',
  count: [
    {
      declarations: ['input n', 'local nPlural = n: plural'],
      selectors: ['nPlural'],
      match: { 'nPlural=one': '1 message', 'nPlural=*': '{n} messages' },
    },
  ],
  body: '{message}',
};
const zh = { hello: '你好 {name}', plain: '普通', count: '{n} 条消息', body: '已结束。' };

/** A project folder like ours (settings + messages/), to run the check the way npm run check does. */
function project(translation: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), 'check-messages-'));
  mkdirSync(join(root, 'project.inlang'));
  mkdirSync(join(root, 'messages'));
  writeFileSync(
    join(root, 'project.inlang/settings.json'),
    JSON.stringify({
      baseLocale: 'en',
      locales: ['en', 'zh-CN'],
      'plugin.inlang.messageFormat': { pathPattern: './messages/{locale}.json' },
    }),
  );
  writeFileSync(join(root, 'messages/en.json'), JSON.stringify(base));
  writeFileSync(join(root, 'messages/zh-CN.json'), JSON.stringify(translation));
  return join(root, 'project.inlang');
}

describe('check-messages', () => {
  it('passes a complete translation', () => {
    expect(compareMessages(base, zh, 'zh-CN')).toEqual([]);
    expect(checkProject(project(zh))).toEqual([]);
  });

  it('fails on a message the translation lacks', () => {
    const { plain: _plain, ...lacking } = zh;
    const problems = checkProject(project(lacking));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('missing "plain"');
  });

  it('fails on a message the base does not have', () => {
    expect(compareMessages(base, { ...zh, stray: '多余' }, 'zh-CN')).toEqual([
      'zh-CN: "stray" is not in the base language',
    ]);
  });

  it('fails on other parameters, one left out or one the base lacks', () => {
    expect(compareMessages(base, { ...zh, hello: '你好' }, 'zh-CN')[0]).toContain('left out: name');
    expect(compareMessages(base, { ...zh, hello: '你好 {user}' }, 'zh-CN')[0]).toContain(
      'not in the base: user',
    );
    expect(compareMessages(base, { ...zh, count: '很多消息' }, 'zh-CN')[0]).toContain(
      'left out: n',
    );
  });

  it('lets a translation leave out the parameter of a pass-through base message', () => {
    expect(compareMessages(base, { ...zh, body: '已结束。' }, 'zh-CN')).toEqual([]);
  });

  it('reads the inputs of variants, not their locals or escaped braces', () => {
    expect(messageParams(base.count)).toEqual(new Set(['n']));
    expect(messageParams('a \\{literal\\} and {x}')).toEqual(new Set(['x']));
    expect(messageParams(42)).toBeNull();
  });

  it("passes this project's messages", () => {
    expect(checkProject(fileURLToPath(new URL('../../project.inlang', import.meta.url)))).toEqual(
      [],
    );
  });
});
