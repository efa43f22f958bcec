/**
 * The interface language: the browser's (`navigator.languages`, zh* → 简体中文, else English) until
 * the person picks one, which is remembered in localStorage. `<html lang>` follows it.
 *
 * The words are Paraglide's messages (messages/*.json, compiled into web/src/paraglide): each
 * message function asks the runtime's `getLocale()`, which is wired to `i18n.lang` here. That read
 * of a `$state` inside a render is tracked by Svelte, so a switch re-renders every word without
 * the reload Paraglide's own `setLocale` does by default.
 */
import {
  locales,
  overwriteGetLocale,
  overwriteSetLocale,
  type Locale as Lang,
} from '../../paraglide/runtime.js';

export type { Lang };
export const LANGS = locales;

const STORAGE_KEY = 'p2sp.lang';

export function browserLang(languages: readonly string[]): Lang {
  // The first language the browser names decides: zh-TW readers read Simplified better than English.
  const first = languages[0]?.toLowerCase() ?? '';
  return first === 'zh' || first.startsWith('zh-') ? 'zh-CN' : 'en';
}

function storedLang(): Lang | null {
  try {
    const value = globalThis.localStorage?.getItem(STORAGE_KEY);
    return LANGS.find((l) => l === value) ?? null;
  } catch {
    return null;
  }
}

function initialLang(): Lang {
  const nav = globalThis.navigator as Navigator | undefined;
  return storedLang() ?? browserLang(nav?.languages ?? (nav?.language ? [nav.language] : []));
}

class Locale {
  lang = $state<Lang>(initialLang());

  /** Applies the language to `<html lang>`; called once at start and on every switch. */
  apply(): void {
    if (typeof document !== 'undefined') document.documentElement.lang = this.lang;
  }

  set(lang: Lang): void {
    this.lang = lang;
    try {
      localStorage.setItem(STORAGE_KEY, lang);
    } catch {
      // Without storage the choice lasts until the reload; the browser's language comes back.
    }
    this.apply();
  }
}

export const i18n = new Locale();

// This class owns the language; Paraglide's runtime only reads it (and a setLocale from anywhere
// comes here rather than reloading the page).
overwriteGetLocale(() => i18n.lang);
overwriteSetLocale((lang) => i18n.set(lang));
