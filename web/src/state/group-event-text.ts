/**
 * A group event in words, in the reader's language, from the structured row history keeps (so a
 * language switch rewords old lines too). The reader's own name reads as "you".
 */
import { sameUsername } from '../../../shared/names.ts';
import type { GroupEvent } from '../core/api.ts';
import { m } from '../paraglide/messages.js';
import { i18n, type Lang } from './i18n/locale.svelte.ts';

/**
 * Stands for the reader while a sentence is built, then becomes "you" in the reader's language
 * (`withYou`). A private-use character: no username can hold one.
 */
const READER = '\u{E000}';

export function groupEventText(event: GroupEvent, me: string, locale: Lang = i18n.lang): string {
  const o = { locale };
  const who = (name: string) => (sameUsername(name, me) ? READER : name);
  switch (event.kind) {
    case 'joined':
      return withYou(m.groupEvents_joined({ name: who(event.username) }, o), locale);
    case 'left':
      return withYou(m.groupEvents_left({ name: who(event.username) }, o), locale);
    case 'removed':
      return withYou(
        m.groupEvents_removed({ by: who(event.by), name: who(event.username) }, o),
        locale,
      );
    case 'role': {
      if (event.role === 'owner') {
        // "You is now the owner" will not do: a sentence of its own.
        return sameUsername(event.username, me)
          ? m.groupEvents_youOwner({}, o)
          : m.groupEvents_owner({ name: event.username }, o);
      }
      const words = { by: who(event.by), name: who(event.username) };
      return withYou(
        event.role === 'admin'
          ? m.groupEvents_madeAdmin(words, o)
          : m.groupEvents_madeMember(words, o),
        locale,
      );
    }
    case 'you-removed':
      return m.groupEvents_youRemoved({ by: event.by }, o);
    case 'you-left':
      return m.groupEvents_youLeft({}, o);
    case 'deleted':
      return withYou(m.groupEvents_deleted({ by: who(event.by) }, o), locale);
    case 'blocked':
      return m.groupEvents_blocked({}, o);
    case 'unblocked':
      return m.groupEvents_unblocked({}, o);
  }
}

/** Why a conversation that is over is read-only, from the event that ended it. */
export function endedText(event: GroupEvent, me: string, locale: Lang = i18n.lang): string | null {
  const o = { locale };
  if (event.kind === 'you-removed') return m.groupEvents_endedRemoved({ by: event.by }, o);
  if (event.kind === 'you-left') return m.groupEvents_endedLeft({}, o);
  if (event.kind === 'deleted') {
    const by = sameUsername(event.by, me) ? READER : event.by;
    return withYou(m.groupEvents_endedDeleted({ by }, o), locale);
  }
  return null;
}

/**
 * The reader's placeholder as "you": capitalised where it opens an English sentence ("You removed
 * bob"); in Chinese without the spaces the messages keep around a name ("bob 将 小红 移出了群组"),
 * which around 你 would read "你 将 erin 移出了群组".
 */
function withYou(sentence: string, locale: Lang): string {
  const you = m.groupEvents_you({}, { locale });
  if (locale === 'zh-CN') return sentence.replace(new RegExp(` ?${READER} ?`, 'gu'), you);
  return sentence
    .replace(new RegExp(`^${READER}`, 'u'), capital(you))
    .replace(new RegExp(READER, 'gu'), you);
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
