/**
 * The engine's two languages and the Paraglide locale each one is: the engine's words
 * (web/src/core/text.ts, error-text.ts, the terminal's) are Paraglide messages called with the
 * locale named each time, never through the runtime's global locale, so one process (a test, the
 * terminal) can speak both and nothing depends on which was set last.
 */
import type { Locale } from '../paraglide/runtime.js';

export type CoreLang = 'en' | 'zh';

const LOCALES: Record<CoreLang, Locale> = { en: 'en', zh: 'zh-CN' };

/** The option every message call takes: `m.core_signedOut({}, at('zh'))`. */
export const at = (lang: CoreLang): { locale: Locale } => ({ locale: LOCALES[lang] });

/** A message without parameters, as records of words by key hold them (`m.core_presence_away`). */
export type PlainMessage = (inputs: Record<string, never>, options: { locale: Locale }) => string;

/** `zh`, `zh-CN`, `zh_TW.UTF-8` -> zh; anything else -> en. */
export function coreLang(tag: string | undefined): CoreLang {
  return tag !== undefined && /^zh/i.test(tag.trim()) ? 'zh' : 'en';
}
