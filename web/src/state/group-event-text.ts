/**
 * A group event in words, in the reader's language, from the structured row history keeps (so a
 * language switch rewords old lines too). The reader's own name reads as "you".
 */
import { sameUsername } from '../../../shared/names.ts';
import type { GroupEvent } from '../core/api.ts';
import { i18n } from './i18n/locale.svelte.ts';
import type { Messages } from './i18n/en.ts';

export function groupEventText(event: GroupEvent, me: string, t: Messages = i18n.t): string {
  const g = t.groupEvents;
  const who = (name: string) => (sameUsername(name, me) ? g.you : name);
  // Where the name opens the sentence: "You removed bob" (a no-op in Chinese).
  const first = (name: string) => (sameUsername(name, me) ? capital(g.you) : name);
  switch (event.kind) {
    case 'joined':
      return g.joined(first(event.username));
    case 'left':
      return g.left(first(event.username));
    case 'removed':
      return g.removed(first(event.by), who(event.username));
    case 'role':
      if (event.role === 'owner') return g.owner(first(event.username));
      return (event.role === 'admin' ? g.madeAdmin : g.madeMember)(
        first(event.by),
        who(event.username),
      );
    case 'you-removed':
      return g.youRemoved(event.by);
    case 'you-left':
      return g.youLeft;
    case 'deleted':
      return g.deleted(first(event.by));
    case 'blocked':
      return g.blocked;
    case 'unblocked':
      return g.unblocked;
  }
}

/** Why a conversation that is over is read-only, from the event that ended it. */
export function endedText(event: GroupEvent, me: string, t: Messages = i18n.t): string | null {
  const g = t.groupEvents;
  if (event.kind === 'you-removed') return g.endedRemoved(event.by);
  if (event.kind === 'you-left') return g.endedLeft;
  if (event.kind === 'deleted')
    return g.endedDeleted(sameUsername(event.by, me) ? capital(g.you) : event.by);
  return null;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
