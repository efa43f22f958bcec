/** Group events worded in both languages from the stored row; the reader's own name is "you". */
import { describe, expect, it } from 'vitest';
import { endedText, groupEventText } from '../../web/src/state/group-event-text.ts';

describe('groupEventText', () => {
  it('says who did what, in English and Chinese', () => {
    const kick = { kind: 'removed', username: '小红', by: 'bob' } as const;
    expect(groupEventText(kick, 'carol', 'en')).toBe('bob removed 小红');
    expect(groupEventText(kick, 'carol', 'zh-CN')).toBe('bob 将 小红 移出了群组');
    expect(groupEventText({ kind: 'deleted', by: 'dave' }, 'carol', 'en')).toBe(
      'dave deleted the group',
    );
    expect(groupEventText({ kind: 'blocked' }, 'carol', 'zh-CN')).toBe('管理员封禁了该群组');
    expect(groupEventText({ kind: 'joined', username: 'erin' }, 'carol', 'en')).toBe('erin joined');
    expect(
      groupEventText({ kind: 'role', username: 'erin', role: 'owner', by: 'dave' }, 'x', 'en'),
    ).toBe('erin is now the owner');
  });

  it('names the reader as you, capitalised where it opens the sentence, whatever the case typed', () => {
    expect(groupEventText({ kind: 'removed', username: 'erin', by: 'Carol' }, 'carol', 'en')).toBe(
      'You removed erin',
    );
    expect(
      groupEventText({ kind: 'role', username: 'carol', role: 'admin', by: 'dave' }, 'carol', 'en'),
    ).toBe('dave made you an admin');
    expect(
      groupEventText({ kind: 'removed', username: 'erin', by: 'carol' }, 'carol', 'zh-CN'),
    ).toBe('你将 erin 移出了群组');
  });

  it('says "you" as a sentence wants it: "You are now the owner", and no spaces around 你', () => {
    const owner = { kind: 'role', username: 'Carol', role: 'owner', by: 'dave' } as const;
    expect(groupEventText(owner, 'carol', 'en')).toBe('You are now the owner');
    expect(groupEventText(owner, 'carol', 'zh-CN')).toBe('你成为群主');
    const admin = { kind: 'role', username: 'carol', role: 'admin', by: 'dave' } as const;
    expect(groupEventText(admin, 'carol', 'zh-CN')).toBe('dave 将你设为管理员');
    expect(groupEventText({ ...admin, username: 'erin', by: 'carol' }, 'carol', 'en')).toBe(
      'You made erin an admin',
    );
    expect(groupEventText({ kind: 'deleted', by: 'carol' }, 'carol', 'zh-CN')).toBe('你解散了群组');
    expect(endedText({ kind: 'deleted', by: 'carol' }, 'carol', 'zh-CN')).toMatch(/^你已解散/);
    // Another reader's name keeps its spaces, Chinese names too.
    expect(groupEventText({ kind: 'removed', username: '小红', by: 'bob' }, 'carol', 'zh-CN')).toBe(
      'bob 将 小红 移出了群组',
    );
  });

  it('gives the ending reason only for the events that end a conversation', () => {
    expect(endedText({ kind: 'you-removed', by: 'bob' }, 'carol', 'en')).toContain(
      'bob removed you',
    );
    expect(endedText({ kind: 'deleted', by: 'carol' }, 'carol', 'en')).toMatch(/^You deleted/);
    expect(endedText({ kind: 'you-left' }, 'carol', 'zh-CN')).toContain('你已退出');
    expect(endedText({ kind: 'left', username: 'bob' }, 'carol', 'en')).toBeNull();
    expect(endedText({ kind: 'blocked' }, 'carol', 'en')).toBeNull();
  });
});
