/**
 * What a private conversation's header says about how a message would travel now (issue 12),
 * before and after the first message: from the channel's state and the peer's presence, never
 * "Stored for later" for a friend who is online.
 *
 * - `direct`: a data channel is open, or the peer is online and nothing has failed yet (the next
 *   message opens one).
 * - `connecting`: a channel is being opened.
 * - `server`: the peer is online but the last attempt to reach them directly failed: messages go
 *   to the server's store until a channel opens.
 * - `offline`: the peer is offline.
 * - `waiting`: the server is away, so nobody's presence is known and nothing reaches its store: a
 *   message waits in this browser's outbox until the server is back ("Offline" would be a guess
 *   about the peer, and "the server keeps messages" untrue).
 */
import type { ContactPresence, LinkState } from '../core/api.ts';

export type ConversationLink = 'direct' | 'connecting' | 'server' | 'offline' | 'waiting';

export function conversationLink(
  link: LinkState,
  presence: ContactPresence,
  /** A direct attempt to this peer fell back to the server since their presence last changed. */
  fellBack: boolean,
): ConversationLink {
  if (link === 'direct') return 'direct';
  if (link === 'connecting') return 'connecting';
  if (presence === 'unknown') return 'waiting';
  if (presence === 'offline') return 'offline';
  return fellBack ? 'server' : 'direct';
}
