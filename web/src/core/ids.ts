/** Message ids and conversation keys. */
import type { ConversationId } from './api.ts';

/** 32 hex characters: a UUID without dashes, which the shared `messageId` schema accepts. */
export function newMessageId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID().replace(/-/g, '');
  // randomUUID needs a secure context in browsers; getRandomValues does not.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export const privateConversation = (username: string): ConversationId => `u:${username}`;
export const groupConversation = (groupId: number): ConversationId => `g:${groupId}`;

/** The reverse of the two above, for a conversation key the caller handed us. */
export function parseConversation(
  id: ConversationId,
): { kind: 'private'; username: string } | { kind: 'group'; groupId: number } {
  if (id.startsWith('g:')) return { kind: 'group', groupId: Number(id.slice(2)) };
  return { kind: 'private', username: id.slice(2) };
}
