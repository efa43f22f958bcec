/**
 * What makes two names the same, and what makes a username acceptable. One definition for the
 * server (lookups, uniqueness) and every client (comparing a typed name with the server's list), so
 * `add Bob` and the server's `bob` are one person on both sides (issue 10).
 *
 * Pure ECMAScript (String#normalize, Unicode property escapes): no Node-only or DOM-only API. The
 * confusable skeleton (Unicode TR39) needs the Unicode confusables table and lives on the server,
 * which is what enforces it: signaling/services/skeleton.ts.
 */
import { LIMITS, USERNAME_PATTERN } from './limits.ts';

/**
 * The form a username is stored and shown in: trimmed, NFKC. Compatibility forms become their plain
 * letters (full-width `ａｄｍｉｎ` and mathematical `𝐚𝐝𝐦𝐢𝐧` are `admin`; a Chinese IME's full-width
 * digits are digits), so what is stored is what most fonts draw.
 */
export function normalizeUsername(raw: string): string {
  return raw.trim().normalize('NFKC');
}

/**
 * NFKC with full case folding, the identity of a username: "Bob", "BOB", "ｂｏｂ" are one user.
 * JavaScript has no case fold; upper then lower casing is full folding for what a username may
 * hold (`ß` -> `ss`, final `ς` -> `σ`), and the second NFKC recomposes what casing decomposed.
 */
export function usernameKey(name: string): string {
  return name.trim().normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

/** Whether two spellings name the same user, as the server decides it. */
export function sameUsername(a: string, b: string): boolean {
  return a === b || usernameKey(a) === usernameKey(b);
}

/**
 * A group's name is free text (spaces allowed, unique per creator), so its key is the username key
 * with runs of white space as one space: "Study  Group" and "study group" are one name.
 */
export function groupNameKey(name: string): string {
  return usernameKey(name).replace(/\s+/gu, ' ');
}

export type UsernameRule = 'length' | 'characters' | 'invisible' | 'mixed-script';

export interface UsernameProblem {
  rule: UsernameRule;
  message: string;
}

/**
 * Code points that draw nothing or next to nothing. Default_Ignorable_Code_Point covers the Hangul
 * fillers (U+115F, U+1160, U+3164, U+FFA0: letters, so the pattern alone lets them in), zero-width
 * joiners and spaces, variation selectors, and the Khmer inherent vowels; format characters (Cf:
 * bidi controls, U+180E) and anything White_Space or separator-like are blank too. U+2800 (braille
 * blank) is a symbol the pattern refuses already.
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{White_Space}\p{Z}\u2800]/u;

/**
 * Scripts a letter is checked against, one Unicode property escape each. Letters of a script not
 * listed count as one "other" script: cheap, and it still separates them from the scripts people
 * imitate Latin with (Greek, Cyrillic, Armenian, Cherokee, ...).
 */
const SCRIPTS = [
  'Latin',
  'Han',
  'Hiragana',
  'Katakana',
  'Hangul',
  'Bopomofo',
  'Greek',
  'Cyrillic',
  'Armenian',
  'Georgian',
  'Hebrew',
  'Arabic',
  'Syriac',
  'Thaana',
  'Nko',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Tibetan',
  'Myanmar',
  'Khmer',
  'Mongolian',
  'Ethiopic',
  'Cherokee',
  'Canadian_Aboriginal',
  'Coptic',
  'Glagolitic',
  'Gothic',
  'Runic',
  'Ogham',
  'Tifinagh',
  'Lisu',
  'Vai',
  'Yi',
  'Deseret',
  'Osage',
  'Adlam',
] as const;
const SCRIPT_RES = SCRIPTS.map((name) => [name, new RegExp(`^\\p{Script=${name}}$`, 'u')] as const);
/** Digits, `_ - .` and combining marks belong to every script. */
const ANY_SCRIPT = /^[\p{Script=Common}\p{Script=Inherited}]$/u;

/**
 * TR39's "highly restrictive" level: one script, or Latin with Han and the scripts Chinese,
 * Japanese and Korean writing mixes with it.
 */
const ALLOWED_MIXES: ReadonlySet<string>[] = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
];

function scriptOf(char: string): string | undefined {
  if (ANY_SCRIPT.test(char)) return undefined;
  for (const [name, re] of SCRIPT_RES) if (re.test(char)) return name;
  return 'other';
}

/** The scripts of a name's letters, when they are a mix TR39 would not let pass; else undefined. */
export function mixedScripts(name: string): string[] | undefined {
  const scripts = new Set<string>();
  for (const char of name) {
    const script = scriptOf(char);
    if (script) scripts.add(script);
  }
  if (scripts.size <= 1) return undefined;
  if (ALLOWED_MIXES.some((mix) => [...scripts].every((s) => mix.has(s)))) return undefined;
  return [...scripts];
}

/**
 * Why a username (already through `normalizeUsername`) may not be registered, or undefined when
 * it may: 2-32 characters; letters of any script, digits, `_`, `-`, `.`; nothing invisible; the
 * letters from one script (or Latin mixed with Chinese, Japanese or Korean).
 */
export function usernameProblem(name: string): UsernameProblem | undefined {
  // UTF-16 code units, as every other size in LIMITS (and the peer wire's check of a username).
  const length = name.length;
  if (length < LIMITS.usernameMin)
    return { rule: 'length', message: `a username has at least ${LIMITS.usernameMin} characters` };
  if (length > LIMITS.usernameMax)
    return { rule: 'length', message: `a username has at most ${LIMITS.usernameMax} characters` };
  // A plain space is not hidden: it gets the characters rule's message below.
  if (INVISIBLE.test(name.replaceAll(' ', '')))
    return {
      rule: 'invisible',
      message: 'a username may not contain blank or invisible characters',
    };
  if (!USERNAME_PATTERN.test(name))
    return {
      rule: 'characters',
      message: 'a username may contain letters, digits, "_", "-" and "." only',
    };
  const mixed = mixedScripts(name);
  if (mixed)
    return {
      rule: 'mixed-script',
      message: `a username may not mix letters of different scripts (${mixed.join(', ')})`,
    };
  return undefined;
}
