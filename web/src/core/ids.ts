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
/** The administrators' messages: one conversation, read-only, not a chat with any admin. */
export const SYSTEM_CONVERSATION = 'system' satisfies ConversationId;

/** The reverse of the three above, for a conversation key the caller handed us. */
export function parseConversation(
  id: ConversationId,
): { kind: 'private'; username: string } | { kind: 'group'; groupId: number } | { kind: 'system' } {
  if (id === SYSTEM_CONVERSATION) return { kind: 'system' };
  if (id.startsWith('g:')) return { kind: 'group', groupId: Number(id.slice(2)) };
  return { kind: 'private', username: id.slice(2) };
}
