/** How command results read: the spec's list formats and delivery outcomes as text lines. */
import { COMMANDS, findCommand } from '../../../shared/commands.ts';
import type { GroupInfo, GroupInvitation } from '../../../shared/events.ts';
import type { ChatMessage, SocialState } from './api.ts';
import { CORE_TEXT, type CoreText } from './text.ts';

/** The spec's format: `1. name (creator alice) 2/5 online`. */
export const groupLine = (
  g: Omit<GroupInfo, 'number' | 'role'>,
  n: number,
  t: CoreText = CORE_TEXT.en,
): string => t.groupLine(n, g.name, g.creator, g.online, g.total, g.blocked);

export function help(
  command: string | undefined,
  admin: boolean,
  t: CoreText = CORE_TEXT.en,
): string[] {
  if (command !== undefined) {
    const spec = findCommand(command);
    if (spec === undefined) return [t.unknownCommand(command, undefined)];
    const lines = [t.helpUsage(spec.usage), t.descriptions[spec.name]];
    if (spec.aliases.length > 0) lines.push(t.helpAliases(spec.aliases.join(', ')));
    if (spec.admin) lines.push(t.adminOnly);
    return lines;
  }
  return COMMANDS.filter((c) => admin || !c.admin).map(
    (c) => `${t.usageLine(c.usage)} — ${t.descriptions[c.name]}`,
  );
}

export function friendLines(social: SocialState, t: CoreText = CORE_TEXT.en): string[] {
  const lines =
    social.friends.length === 0
      ? [t.noFriends]
      : social.friends.map((f) => t.friendLine(f.username, f.status));
  if (social.incoming.length > 0) lines.push(t.requestsFrom(social.incoming.join(', ')));
  if (social.outgoing.length > 0) lines.push(t.waitingFor(social.outgoing.join(', ')));
  return lines;
}

/** Invitations waiting, numbered for `acceptgroup <n>` / `declinegroup <n>`. */
export function invitationLines(
  invitations: GroupInvitation[],
  t: CoreText = CORE_TEXT.en,
): string[] {
  if (invitations.length === 0) return [];
  return [
    t.invitationsHeader,
    ...invitations.map((i, k) => t.invitationLine(k + 1, i.name, i.creator, i.inviter)),
  ];
}

export function describe(m: ChatMessage, to: string, t: CoreText = CORE_TEXT.en): string {
  const { fanout } = m;
  switch (m.state) {
    case 'read': // read is delivered and more; a command's result line needs no finer word
    case 'delivered':
      return t.delivered(to, fanout);
    case 'stored':
      return t.stored(to, fanout);
    case 'failed':
      // A code worded now, in this language; records from before codes keep their text.
      return t.failed(to, m.failure ? t.errorText(m.failure) : (m.error ?? t.unknownError));
    default:
      return t.sending(to);
  }
}
