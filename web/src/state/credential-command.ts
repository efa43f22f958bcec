/**
 * `/reg` and `/login` typed in a composer carry a password: it must not stay on screen (in the
 * box, in the echoed command, in a line given back after a failure), and the command swaps the
 * account the page is signed in as, which a slip of the keyboard should not do unasked.
 */
import { findCommand, tokenize } from '../../../shared/commands.ts';

export const MASK = '••••••';

export interface CredentialCommand {
  kind: 'reg' | 'login';
  /** The username as typed (may be empty while it is being typed). */
  username: string;
  /** True once anything follows the username: the box holds a password from then on. */
  hasSecret: boolean;
  /** The line with the password replaced, safe to show and to keep in a notice. */
  shown: string;
}

/** Recognises a `reg`/`login` line (any alias, any case, `/` optional); null for anything else. */
export function credentialCommand(line: string): CredentialCommand | null {
  const trimmed = line.trimStart();
  // The first word by whitespace, not by the lexer: an unclosed quote in the password must not
  // stop the line being recognised (and so shown in clear).
  const first = /^\S+/.exec(trimmed)?.[0];
  if (first === undefined) return null;
  const spec = findCommand(first);
  if (spec?.name !== 'reg' && spec?.name !== 'login') return null;
  const afterName = trimmed.slice(first.length);
  const lexed = tokenize(trimmed);
  const username = lexed.ok ? (lexed.tokens[1] ?? '') : (/^\s+(\S+)/.exec(afterName)?.[1] ?? '');
  // Anything past "<name> <username>" (even a lone space) is the start of the password.
  const hasSecret = /^\s+\S+\s/.test(afterName);
  return {
    kind: spec.name,
    username,
    hasSecret,
    shown: hasSecret ? `${first} ${username} ${MASK}` : trimmed.trimEnd(),
  };
}
