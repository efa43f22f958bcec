/** Small pure helpers the views share: error text, times, avatar colours. */
import { wireErrorText, type ErrorLike } from '../core/error-text.ts';
import { fileProblemText, type FileProblem } from '../core/files/problem.ts';
import { impostorReasonText, noticeText, type EngineNotice } from '../core/notices.ts';
import { i18n, type Lang } from './i18n/locale.svelte.ts';
import { m } from '../paraglide/messages.js';

/**
 * An error with a code read from something untrusted (a thrown error, a row from disk), or null.
 * A code this client does not know is kept: `wireErrorText` has a sentence for that too.
 */
function wireOf(error: unknown): ErrorLike | null {
  if (typeof error !== 'object' || error === null || !('wire' in error)) return null;
  const wire = (error as { wire: unknown }).wire;
  if (typeof wire !== 'object' || wire === null) return null;
  const { code, details } = wire as { code?: unknown; details?: unknown };
  if (typeof code !== 'string') return null;
  return typeof details === 'object' && details !== null
    ? { code, details: details as Record<string, unknown> }
    : { code };
}

/**
 * An error as a sentence in the person's language: a server (or engine) error is chosen by its
 * code and details, in either language, never shown as its `message`. Anything else (an error
 * of the browser's, say) shows its message.
 */
export function errorText(error: unknown, lang: Lang = i18n.lang): string {
  const wire = wireOf(error);
  if (wire) return wireErrorText(wire, lang === 'zh-CN' ? 'zh' : 'en');
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A notice from the engine (keys, channels, stored messages) in the person's language. */
export function engineNotice(notice: EngineNotice, lang: Lang = i18n.lang): string {
  return noticeText(notice, lang === 'zh-CN' ? 'zh' : 'en');
}

/** Why a connection was refused as an impostor's, as the banner's clause. */
export function impostorReason(reason: unknown, name: string, lang: Lang = i18n.lang): string {
  return impostorReasonText(reason, name, lang === 'zh-CN' ? 'zh' : 'en');
}

/** Why a file transfer failed, or a notice about files, in the person's language. */
export function fileProblem(problem: FileProblem, lang: Lang = i18n.lang): string {
  return fileProblemText(problem, lang === 'zh-CN' ? 'zh' : 'en');
}

interface Formats {
  time: Intl.DateTimeFormat;
  day: Intl.DateTimeFormat;
  full: Intl.DateTimeFormat;
}

const formats = new Map<Lang, Formats>();

/** Built once per language: an Intl formatter is costly to make and cheap to reuse. */
function formatsFor(lang: Lang): Formats {
  let f = formats.get(lang);
  if (!f) {
    f = {
      time: new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' }),
      day: new Intl.DateTimeFormat(lang, { weekday: 'long', month: 'long', day: 'numeric' }),
      full: new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'medium' }),
    };
    formats.set(lang, f);
  }
  return f;
}

export const clock = (ms: number): string => formatsFor(i18n.lang).time.format(ms);
export const fullDate = (ms: number): string => formatsFor(i18n.lang).full.format(ms);

export function dayLabel(ms: number, now = Date.now()): string {
  const key = (t: number): string => new Date(t).toDateString();
  if (key(ms) === key(now)) return m.list_today();
  if (key(ms) === key(now - 86_400_000)) return m.list_yesterday();
  return formatsFor(i18n.lang).day.format(ms);
}

export const sameDay = (a: number, b: number): boolean =>
  new Date(a).toDateString() === new Date(b).toDateString();

/** A stable hue per name, so a person keeps their colour everywhere. */
export function hueOf(name: string): number {
  let h = 0;
  for (const ch of name) h = (h * 31 + (ch.codePointAt(0) ?? 0)) % 360;
  return h;
}

/** First letter (a whole code point, so CJK names and emoji work). */
export const initial = (name: string): string => (Array.from(name)[0] ?? '?').toUpperCase();
