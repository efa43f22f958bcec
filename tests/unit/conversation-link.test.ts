/**
 * The conversation header (issue 12): what it says from the channel and the peer's presence, so an
 * online friend is never shown as "Stored for later" before the first message.
 */
import { describe, expect, it } from 'vitest';
import type { ContactPresence, LinkState } from '../../web/src/core/api.ts';
import { conversationLink } from '../../web/src/state/conversation-link.ts';

describe('conversationLink', () => {
  it('an open channel is direct and an opening one is connecting, whatever presence says', () => {
    for (const presence of ['online', 'away', 'busy', 'offline', 'unknown'] as ContactPresence[]) {
      for (const fellBack of [true, false]) {
        expect(conversationLink('direct', presence, fellBack)).toBe('direct');
        expect(conversationLink('connecting', presence, fellBack)).toBe('connecting');
      }
    }
  });

  it('without a channel: an online peer is reachable directly until an attempt falls back', () => {
    const none: LinkState = 'offline-store';
    for (const presence of ['online', 'away', 'busy'] as ContactPresence[]) {
      expect(conversationLink(none, presence, false)).toBe('direct');
      expect(conversationLink(none, presence, true)).toBe('server');
    }
  });

  it('without a channel: an offline peer is offline', () => {
    for (const fellBack of [true, false]) {
      expect(conversationLink('offline-store', 'offline', fellBack)).toBe('offline');
    }
  });

  it('without a channel while the server is away: waiting for it, not a guess that they are offline', () => {
    for (const fellBack of [true, false]) {
      expect(conversationLink('offline-store', 'unknown', fellBack)).toBe('waiting');
    }
  });
});
