/** shared/names.ts: one rule for when two usernames are one user, and what a username may be. */
import { describe, expect, it } from 'vitest';
import {
  groupNameKey,
  mixedScripts,
  normalizeUsername,
  sameUsername,
  usernameKey,
  usernameProblem,
} from '../../shared/names.ts';
import { usernameSkeleton } from '../../signaling/services/skeleton.ts';

describe('usernameKey and sameUsername', () => {
  it('folds case and compatibility forms, and nothing else', () => {
    for (const spelling of ['Bob', 'BOB', 'ｂｏｂ', 'Ｂｏｂ', '𝐛𝐨𝐛', ' bob '])
      expect([spelling, usernameKey(spelling), sameUsername(spelling, 'bob')]).toEqual([
        spelling,
        'bob',
        true,
      ]);
    expect(sameUsername('straße', 'STRASSE')).toBe(true);
    expect(sameUsername('ΣΟΦΙΑ', 'σοφια')).toBe(true);
    // Look-alikes are different users by key; the skeleton (server side) is what refuses them.
    expect(sameUsername('\u0430dmin', 'admin')).toBe(false);
    expect(sameUsername('小红', '小紅')).toBe(false);
    expect(sameUsername('bob', 'bobby')).toBe(false);
  });

  it('stores the NFKC form', () => {
    expect(normalizeUsername(' ａｄｍｉｎ ')).toBe('admin');
    expect(normalizeUsername('王小明２０２４')).toBe('王小明2024');
    expect(normalizeUsername('José')).toBe('José'.normalize('NFC'));
  });

  it('gives group names their own key: white space runs are one space', () => {
    expect(groupNameKey('Study  Group')).toBe('study group');
    expect(groupNameKey('ＣＲＥＷ')).toBe('crew');
    expect(groupNameKey('学习\u3000小组')).toBe('学习 小组');
  });
});

describe('usernameProblem', () => {
  it('lets ordinary, Chinese, Japanese and Korean names through', () => {
    for (const name of [
      '小红',
      '张伟',
      'alice',
      'bob99',
      'li.wei-88',
      '小红abc',
      'たなか太郎',
      '김민준',
    ])
      expect([name, usernameProblem(name)]).toEqual([name, undefined]);
  });

  it('names the rule a bad name breaks', () => {
    const rule = (name: string) => usernameProblem(normalizeUsername(name))?.rule;
    expect(rule('a')).toBe('length');
    expect(rule('x'.repeat(33))).toBe('length');
    expect(rule('\u3164\u3164')).toBe('invisible');
    expect(rule('ad\u200bmin')).toBe('invisible');
    expect(rule('a b')).toBe('characters');
    expect(rule('bob!')).toBe('characters');
    expect(rule('\u0430dmin')).toBe('mixed-script');
    expect(rule('\u0391DMIN')).toBe('mixed-script');
    expect(mixedScripts('\u0430dmin')).toEqual(['Cyrillic', 'Latin']);
    expect(mixedScripts('小红abc')).toBeUndefined();
  });
});

describe('usernameSkeleton (TR39)', () => {
  it('is one value for every look-alike of a name', () => {
    const admin = usernameSkeleton('admin');
    for (const name of ['\u0430dmin', 'ａｄｍｉｎ', '𝐚𝐝𝐦𝐢𝐧', '\u0391DMIN', 'ADMIN', 'adrnin'])
      expect([name, usernameSkeleton(name)]).toEqual([name, admin]);
    expect(usernameSkeleton('рор')).toBe(usernameSkeleton('pop'));
    expect(usernameSkeleton('caro1')).toBe(usernameSkeleton('carol'));
    expect(usernameSkeleton('张伟')).not.toBe(usernameSkeleton('小红'));
    expect(usernameSkeleton('alice')).not.toBe(usernameSkeleton('alina'));
  });
});
