import { describe, expect, it } from 'vitest';
import { emojiOnlyCount, linkify, safeHref, type TextPart } from '../../web/src/state/rich-text.ts';

const links = (text: string) =>
  linkify(text).filter((p): p is Extract<TextPart, { kind: 'link' }> => p.kind === 'link');
const joined = (text: string) =>
  linkify(text)
    .map((p) => p.text)
    .join('');

describe('linkify', () => {
  it('finds http(s) links, www. and e-mail addresses, keeping the text around them', () => {
    expect(linkify('see https://example.com/a?b=1. ok')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: '. ok' },
    ]);
    expect(links('www.qq.com')).toEqual([
      { kind: 'link', text: 'www.qq.com', href: 'http://www.qq.com/' },
    ]);
    expect(links('write to x@y.com')).toEqual([
      { kind: 'link', text: 'x@y.com', href: 'mailto:x@y.com' },
    ]);
    expect(links('mailto:a@b.co')[0]?.href).toBe('mailto:a@b.co');
    expect(links('HTTPS://A.COM')[0]?.href).toBe('https://a.com/');
  });

  it('plain text stays one text part', () => {
    expect(linkify('你好，世界')).toEqual([{ kind: 'text', text: '你好，世界' }]);
    expect(linkify('')).toEqual([]);
  });

  it('ends a link at Chinese punctuation written straight after it', () => {
    expect(links('看这个https://a.com/x，很好')).toEqual([
      { kind: 'link', text: 'https://a.com/x', href: 'https://a.com/x' },
    ]);
    expect(links('链接：https://example.com/路径。谢谢').map((l) => l.text)).toEqual([
      'https://example.com/路径',
    ]);
    expect(links('一个https://a.com，两个https://b.org！').map((l) => l.text)).toEqual([
      'https://a.com',
      'https://b.org',
    ]);
  });

  it('never makes a link of another scheme', () => {
    for (const hostile of [
      'javascript:alert(1)',
      'JavaScript:alert(document.cookie)',
      'java\tscript:alert(1)',
      ' javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      'ftp://files.example.com/x',
      'blob:https://example.com/uuid',
    ]) {
      for (const l of links(hostile)) expect(safeHref(l.href), hostile).not.toBeNull();
      for (const l of links(hostile)) expect(l.href, hostile).toMatch(/^(https?|mailto):/);
      expect(joined(hostile), hostile).toBe(hostile);
    }
    expect(links('ftp://files.example.com/x')).toEqual([]);
    expect(links('file:///etc/passwd')).toEqual([]);
  });

  it('a javascript: URL that hides an address links only the address, over http', () => {
    const found = links('javascript://example.com/%0aalert(1)');
    expect(found.every((l) => l.href.startsWith('http://'))).toBe(true);
  });

  it('cuts a link at a bidi override so it cannot read backwards', () => {
    const text = 'https://a.com/a\u202Egnp.exe';
    expect(links(text).map((l) => l.text)).toEqual(['https://a.com/a']);
    expect(joined(text)).toBe(text);
  });

  it('gives back every character of hostile and odd input', () => {
    for (const text of [
      '<img src=x onerror=alert(1)> https://a.com/"><script>',
      'https://a.com/x?q=<b>&r="\'',
      '\u0000https://a.com\u0000',
      'a'.repeat(4000),
      'https://'.repeat(200),
      '@@@@.com x@@y..com',
      '👍https://a.com👍',
    ]) {
      expect(joined(text)).toBe(text);
    }
  });

  it('safeHref takes only http, https and mailto, with a host for the web ones', () => {
    expect(safeHref('https://a.com/x')).toBe('https://a.com/x');
    expect(safeHref('mailto:a@b.co')).toBe('mailto:a@b.co');
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('java\nscript:alert(1)')).toBeNull();
    expect(safeHref('data:text/plain,hi')).toBeNull();
    expect(safeHref('http://')).toBeNull();
    expect(safeHref('not a url')).toBeNull();
  });
});

describe('emojiOnlyCount', () => {
  it('counts one to three emoji, with or without spaces', () => {
    expect(emojiOnlyCount('👍')).toBe(1);
    expect(emojiOnlyCount('😀😀')).toBe(2);
    expect(emojiOnlyCount(' 🎉 🎉 🎉 ')).toBe(3);
  });

  it('counts a sequence as one: family, flag, skin tone, keycap', () => {
    expect(emojiOnlyCount('👨‍👩‍👧')).toBe(1);
    expect(emojiOnlyCount('🇨🇳')).toBe(1);
    expect(emojiOnlyCount('👍🏽')).toBe(1);
    expect(emojiOnlyCount('1️⃣')).toBe(1);
    expect(emojiOnlyCount('❤️')).toBe(1);
  });

  it('is 0 for text, mixed text, more than three, or nothing', () => {
    expect(emojiOnlyCount('')).toBe(0);
    expect(emojiOnlyCount('   ')).toBe(0);
    expect(emojiOnlyCount('ok 👍')).toBe(0);
    expect(emojiOnlyCount('好👍')).toBe(0);
    expect(emojiOnlyCount('👍👍👍👍')).toBe(0);
    expect(emojiOnlyCount('123')).toBe(0);
    expect(emojiOnlyCount('#')).toBe(0);
    expect(emojiOnlyCount('©')).toBe(0);
    expect(emojiOnlyCount(':)')).toBe(0);
    expect(emojiOnlyCount('👍'.repeat(40))).toBe(0);
  });
});
