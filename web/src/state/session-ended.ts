/**
 * Why the session ended, as the sign-in screen says it: by the reason the server (or the engine)
 * gave, never by its message. The reason comes over the wire, so a newer server may send one this
 * client does not know: it reads as the generic "Your session has ended. Sign in again.", in the
 * reader's language, rather than as a missing sentence or a broken screen.
 */
import { m } from '../paraglide/messages.js';
import { signInEndedText } from './i18n/by-key/signIn_ended.ts';
import { signInEndedBodyText } from './i18n/by-key/signIn_endedBody.ts';

type Key = keyof typeof signInEndedText & keyof typeof signInEndedBodyText;

/** Another tab of ours holding the same token reads as being signed in elsewhere. */
const ALIASES: Readonly<Record<string, Key>> = { replaced: 'elsewhere' };

function keyOf(reason: unknown): Key | null {
  if (typeof reason !== 'string') return null;
  if (Object.hasOwn(ALIASES, reason)) return ALIASES[reason] ?? null;
  return Object.hasOwn(signInEndedText, reason) && Object.hasOwn(signInEndedBodyText, reason)
    ? (reason as Key)
    : null;
}

export interface EndedWords {
  title: string;
  body: string;
}

/** The title and sentence for a session that ended for `reason`, in the current language. */
export function sessionEndedWords(reason: unknown): EndedWords {
  const key = keyOf(reason);
  if (key === null) return { title: m.signIn_ended_unknown(), body: m.signIn_endedBody_unknown() };
  return { title: signInEndedText[key](), body: signInEndedBodyText[key]() };
}
