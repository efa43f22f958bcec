/** How command results read: the spec's list formats and delivery outcomes as text lines. */
import { COMMANDS, helpFor } from '../../../shared/commands.ts';
import type { GroupInfo, GroupInvitation } from '../../../shared/events.ts';
import type { ChatMessage, SocialState } from './api.ts';

/** The spec's format: `1. name (creator alice) 2/5 online`. */
export const groupLine = (g: Omit<GroupInfo, 'number' | 'role'>, n: number): string =>
  `${n}. ${g.name} (creator ${g.creator}) ${g.online}/${g.total} online${g.blocked ? ' [blocked]' : ''}`;

export function help(command: string | undefined, admin: boolean): string[] {
  if (command !== undefined) return (helpFor(command) ?? `unknown command ${command}`).split('\n');
  return COMMANDS.filter((c) => admin || !c.admin).map((c) => `${c.usage} — ${c.description}`);
}

export function friendLines(social: SocialState): string[] {
  const lines =
    social.friends.length === 0
      ? ['no friends yet; add one with: add <username>']
      : social.friends.map((f) => `${f.username} (${f.status})`);
  if (social.incoming.length > 0)
    lines.push(`requests from: ${social.incoming.join(', ')} (accept <username>)`);
  if (social.outgoing.length > 0) lines.push(`waiting for: ${social.outgoing.join(', ')}`);
  return lines;
}

/** Invitations waiting, numbered for `acceptgroup <n>` / `declinegroup <n>`. */
export function invitationLines(invitations: GroupInvitation[]): string[] {
  if (invitations.length === 0) return [];
  return [
    'invitations (acceptgroup <n> or declinegroup <n>):',
    ...invitations.map(
      (i, k) => `${k + 1}. ${i.name} (creator ${i.creator}), invited by ${i.inviter}`,
    ),
  ];
}

export function describe(m: ChatMessage, to: string): string {
  const fanout = m.fanout
    ? ` (${m.fanout.delivered} direct, ${m.fanout.stored} stored, of ${m.fanout.total})`
    : '';
  switch (m.state) {
    case 'delivered':
      return `delivered to ${to}${fanout}`;
    case 'stored':
      return `stored on the server for ${to}; delivered when they sign in${fanout}`;
    case 'failed':
      return `not sent to ${to}: ${m.error ?? 'unknown error'}`;
    default:
      return `sending to ${to}…`;
  }
}
