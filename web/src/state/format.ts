/** Small pure helpers the views share: error text, times, avatar colours. */
import { EngineError } from '../core/api.ts';

/** The server's own words when there are some (EngineError.wire.message), else the error's message. */
export function errorText(error: unknown): string {
  if (error instanceof EngineError) return error.wire.message;
  if (typeof error === 'object' && error !== null && 'wire' in error) {
    const wire = (error as { wire: unknown }).wire;
    if (typeof wire === 'object' && wire !== null && 'message' in wire) {
      const { message } = wire as { message: unknown };
      if (typeof message === 'string') return message;
    }
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, {
  weekday: 'long',
  month: 'long',
  day: 'numeric',
});
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export const clock = (ms: number): string => timeFormat.format(ms);
export const fullDate = (ms: number): string => fullFormat.format(ms);

export function dayLabel(ms: number, now = Date.now()): string {
  const key = (t: number): string => new Date(t).toDateString();
  if (key(ms) === key(now)) return 'Today';
  if (key(ms) === key(now - 86_400_000)) return 'Yesterday';
  return dayFormat.format(ms);
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
