/**
 * What a message's text is made of when shown: plain runs and links, found by linkifyjs (a
 * maintained linkifier, not a home-made URL regex). The view renders each part as a text node or an
 * `<a>` whose `href` is set as an attribute, so nothing a peer typed is ever parsed as HTML. Only
 * http(s) and mailto links become clickable; every other scheme (javascript:, data:, file:, ftp:,
 * vbscript:, ...) stays text, and so does anything the URL parser refuses.
 */
import { find } from 'linkifyjs';

export type TextPart =
  { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/**
 * The href to put on a link, or null when it must stay text. The URL parser (the browser's own, so
 * the check and the navigation read the string the same way) decides the scheme, after it has
 * stripped the whitespace and control characters that `java\tscript:` tricks rely on.
 */
export function safeHref(href: string): string | null {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  if (!SAFE_PROTOCOLS.has(url.protocol)) return null;
  // "http://" with no host parses in some engines' legacy modes; a link to nowhere is just text.
  if (url.protocol !== 'mailto:' && url.hostname === '') return null;
  return url.href;
}

/**
 * Where a link ends even if the linkifier would go on: Chinese and full-width punctuation (people
 * write "看这个https://a.com/x，很好" with no space, and the comma is not part of the address) and
 * the bidirectional controls that can make a link read backwards. A canonical URL carries none of
 * these unescaped, so the text is cut at them before it is linkified.
 */
const LINK_BREAK =
  /([\u3000-\u303F\uFF01-\uFF0F\uFF1A-\uFF20\uFF3B-\uFF40\uFF5B-\uFF65\u2014\u2018\u2019\u201C\u201D\u2026\u200E\u200F\u202A-\u202E\u2066-\u2069])/u;

/** Splits text into plain runs and safe links; joining every part's `text` gives `text` back. */
export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  const push = (plain: string) => {
    if (plain === '') return;
    const last = parts[parts.length - 1];
    if (last?.kind === 'text') last.text += plain;
    else parts.push({ kind: 'text', text: plain });
  };
  // split() with a capturing group keeps the separators, at the odd indices.
  for (const chunk of text.split(LINK_BREAK)) {
    let at = 0;
    for (const found of find(chunk)) {
      if (found.type !== 'url' && found.type !== 'email') continue;
      if (found.start < at) continue;
      const href = safeHref(found.href);
      push(chunk.slice(at, found.start));
      const shown = chunk.slice(found.start, found.end);
      if (href) parts.push({ kind: 'link', text: shown, href });
      else push(shown);
      at = found.end;
    }
    push(chunk.slice(at));
  }
  return parts;
}

/** Messages of at most this many emoji, and nothing else, are shown large. */
export const BIG_EMOJI_MAX = 3;

let graphemes: Intl.Segmenter | null = null;
let emojiPattern: RegExp | null = null;

function isEmoji(grapheme: string): boolean {
  if (!emojiPattern) {
    try {
      // RGI_Emoji (the `v` flag) matches whole sequences: flags, keycaps, skin tones, ZWJ families.
      emojiPattern = new RegExp('^\\p{RGI_Emoji}$', 'v');
    } catch {
      // An engine without the `v` flag: a pictograph with its modifiers and joiners.
      emojiPattern =
        /^(?:\p{Regional_Indicator}{2}|[#*0-9]\uFE0F?\u20E3|\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?(?:\u200D\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?)*)$/u;
    }
  }
  return emojiPattern.test(grapheme);
}

/**
 * How many emoji the text is, when it is only emoji (whitespace between them allowed) and at most
 * BIG_EMOJI_MAX of them; 0 otherwise. Counted by grapheme, so 👨‍👩‍👧 or 🇨🇳 is one.
 */
export function emojiOnlyCount(text: string): number {
  // Long text cannot be three emoji; do not segment a 4,000-character message to find that out.
  if (text.length > 64) return 0;
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let count = 0;
  for (const { segment } of graphemes.segment(text)) {
    if (segment.trim() === '') continue;
    if (!isEmoji(segment) || ++count > BIG_EMOJI_MAX) return 0;
  }
  return count;
}
