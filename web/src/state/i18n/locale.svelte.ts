/**
 * The interface language: the browser's (`navigator.languages`, zh* → 简体中文, else English) until
 * the person picks one, which is remembered in localStorage. `<html lang>` follows it. Components
 * read `i18n.t`, so a switch re-renders every word without a reload.
 */
import { en, type Messages } from './en.ts';
import { zh } from './zh.ts';

export const LANGS = ['en', 'zh-CN'] as const;
export type Lang = (typeof LANGS)[number];

const STORAGE_KEY = 'p2sp.lang';
const DICTIONARIES: Record<Lang, Messages> = { en, 'zh-CN': zh };

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
  readonly t: Messages = $derived(DICTIONARIES[this.lang]);

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
