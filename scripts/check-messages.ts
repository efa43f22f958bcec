/**
 * Every translation has every message the base language has, no other, with the same parameters
 * (`npm run check` runs this). Paraglide's types catch a wrong key or a wrong parameter at a call
 * site, but a message missing from messages/zh-CN.json silently falls back to English: this is
 * what fails for it.
 *
 *   node --import tsx scripts/check-messages.ts
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A message as inlang's message format stores it: a pattern, or variants with declarations. */
type MessageFile = Record<string, unknown>;

interface Variant {
  declarations?: unknown;
  match?: unknown;
}

/** Placeholders of a pattern: `{name}`, not the escaped `\{`. */
const placeholders = (pattern: string): string[] =>
  [...pattern.matchAll(/(?<!\\)\{\s*(\w+)\s*\}/g)].map((m) => m[1]!);

/**
 * The inputs a message takes: the placeholders of a plain pattern, or the `input` declarations
 * and the placeholders (less the `local` ones) of a message with variants. Null for a shape that is
 * neither, which is a problem of its own.
 */
export function messageParams(message: unknown): Set<string> | null {
  if (typeof message === 'string') return new Set(placeholders(message));
  if (!Array.isArray(message)) return null;
  const params = new Set<string>();
  for (const variant of message as Variant[]) {
    if (typeof variant !== 'object' || variant === null) return null;
    const declarations = Array.isArray(variant.declarations) ? variant.declarations : [];
    const locals = new Set<string>();
    for (const d of declarations) {
      if (typeof d !== 'string') return null;
      const input = /^input\s+(\w+)/.exec(d);
      if (input) params.add(input[1]!);
      const local = /^local\s+(\w+)\s*=\s*(\w+)/.exec(d);
      if (local) {
        locals.add(local[1]!);
        params.add(local[2]!);
      }
    }
    if (typeof variant.match !== 'object' || variant.match === null) return null;
    for (const pattern of Object.values(variant.match)) {
      if (typeof pattern !== 'string') return null;
      for (const p of placeholders(pattern)) if (!locals.has(p)) params.add(p);
    }
  }
  return params;
}

/**
 * A base message that is its one parameter and nothing else passes words through: the base
 * language shows what it is given (the engine's own English sentence), a translation says the
 * same in its own words and may leave the parameter out.
 */
const passThrough = (message: unknown): string | null => {
  if (typeof message !== 'string') return null;
  const only = /^\{\s*(\w+)\s*\}$/.exec(message);
  return only ? only[1]! : null;
};

const keysOf = (file: MessageFile) => Object.keys(file).filter((k) => k !== '$schema');
const list = (s: Iterable<string>) => [...s].sort().join(', ') || 'none';

/** What is wrong with `translation` against `base`, one line each; empty when nothing is. */
export function compareMessages(
  base: MessageFile,
  translation: MessageFile,
  locale: string,
): string[] {
  const problems: string[] = [];
  const have = new Set(keysOf(translation));
  for (const key of keysOf(base)) {
    if (!have.has(key)) {
      problems.push(`${locale}: missing "${key}" (it would show in the base language)`);
      continue;
    }
    const want = messageParams(base[key]);
    const got = messageParams(translation[key]);
    if (!want) {
      problems.push(`base: "${key}" is neither a pattern nor a list of variants`);
      continue;
    }
    if (!got) {
      problems.push(`${locale}: "${key}" is neither a pattern nor a list of variants`);
      continue;
    }
    const extra = [...got].filter((p) => !want.has(p));
    const through = passThrough(base[key]);
    const lacking = [...want].filter((p) => !got.has(p) && p !== through);
    if (extra.length > 0 || lacking.length > 0)
      problems.push(
        `${locale}: "${key}" takes {${list(got)}}, the base {${list(want)}}` +
          (extra.length ? ` (not in the base: ${list(extra)})` : '') +
          (lacking.length ? ` (left out: ${list(lacking)})` : ''),
      );
  }
  const baseKeys = new Set(keysOf(base));
  for (const key of have)
    if (!baseKeys.has(key)) problems.push(`${locale}: "${key}" is not in the base language`);
  return problems;
}

interface Settings {
  baseLocale: string;
  locales: string[];
  'plugin.inlang.messageFormat': { pathPattern: string };
}

/** Every locale of an inlang project against its base; the project's settings name the files. */
export function checkProject(projectDir: string): string[] {
  const settings = JSON.parse(readFileSync(join(projectDir, 'settings.json'), 'utf8')) as Settings;
  // inlang resolves the settings' relative paths from the folder that holds project.inlang.
  const root = dirname(projectDir);
  const read = (locale: string): MessageFile =>
    JSON.parse(
      readFileSync(
        join(root, settings['plugin.inlang.messageFormat'].pathPattern.replace('{locale}', locale)),
        'utf8',
      ),
    ) as MessageFile;
  const base = read(settings.baseLocale);
  return settings.locales
    .filter((l) => l !== settings.baseLocale)
    .flatMap((locale) => compareMessages(base, read(locale), locale));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const project = fileURLToPath(new URL('../project.inlang', import.meta.url));
  const problems = checkProject(project);
  if (problems.length > 0) {
    console.error(`messages: ${problems.length} problem(s)\n` + problems.join('\n'));
    process.exit(1);
  }
  console.log('messages: every locale has every message, with the same parameters');
}
