/**
 * A group event in words, in the reader's language, from the structured row history keeps (so a
 * language switch rewords old lines too). The reader's own name reads as "you".
 */
import { sameUsername } from '../../../shared/names.ts';
import type { GroupEvent } from '../core/api.ts';
import { m } from '../paraglide/messages.js';
import { i18n, type Lang } from './i18n/locale.svelte.ts';

export function groupEventText(event: GroupEvent, me: string, locale: Lang = i18n.lang): string {
  const o = { locale };
  const you = m.groupEvents_you({}, o);
  const who = (name: string) => (sameUsername(name, me) ? you : name);
  // Where the name opens the sentence: "You removed bob" (a no-op in Chinese).
  const first = (name: string) => (sameUsername(name, me) ? capital(you) : name);
  switch (event.kind) {
    case 'joined':
      return m.groupEvents_joined({ name: first(event.username) }, o);
    case 'left':
      return m.groupEvents_left({ name: first(event.username) }, o);
    case 'removed':
      return m.groupEvents_removed({ by: first(event.by), name: who(event.username) }, o);
    case 'role': {
      if (event.role === 'owner') return m.groupEvents_owner({ name: first(event.username) }, o);
      const words = { by: first(event.by), name: who(event.username) };
      return event.role === 'admin'
        ? m.groupEvents_madeAdmin(words, o)
        : m.groupEvents_madeMember(words, o);
    }
    case 'you-removed':
      return m.groupEvents_youRemoved({ by: event.by }, o);
    case 'you-left':
      return m.groupEvents_youLeft({}, o);
    case 'deleted':
      return m.groupEvents_deleted({ by: first(event.by) }, o);
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
    const by = sameUsername(event.by, me) ? capital(m.groupEvents_you({}, o)) : event.by;
    return m.groupEvents_endedDeleted({ by }, o);
  }
  return null;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
