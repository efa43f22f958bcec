import { describe, expect, it } from 'vitest';
import type { ChatMessage, Conversation } from '../../web/src/core/api.ts';
import {
  APP_TITLE,
  faviconSvg,
  NOTIFY_BODY_MAX,
  notificationText,
  shouldNotify,
  tabTitle,
  unreadTotal,
  type NotifyContext,
} from '../../web/src/state/attention.ts';

const conv = (id: Conversation['id'], unread: number): Conversation => ({
  id,
  title: id.slice(2),
  lastMessage: null,
  unread,
});

const msg = (over: Partial<ChatMessage> = {}): ChatMessage => ({
  id: 'm1',
  conversation: 'u:bob',
  from: 'bob',
  text: 'hi',
  sentAt: 1,
  ...over,
});

const hiddenGranted: NotifyContext = {
  me: 'alice',
  hidden: true,
  enabled: true,
  permission: 'granted',
};

describe('unread count in the title', () => {
  it('adds up every conversation and ignores nonsense counts', () => {
    expect(unreadTotal([])).toBe(0);
    expect(unreadTotal([conv('u:a', 2), conv('g:1', 3), conv('u:b', 0)])).toBe(5);
    expect(unreadTotal([conv('u:a', -4), conv('u:b', Number.NaN), conv('u:c', 1.5)])).toBe(0);
  });

  it('is the plain title with nothing unread, "(n) title" otherwise, 99+ past 99', () => {
    expect(tabTitle(0)).toBe(APP_TITLE);
    expect(tabTitle(1)).toBe(`(1) ${APP_TITLE}`);
    expect(tabTitle(99)).toBe(`(99) ${APP_TITLE}`);
    expect(tabTitle(100)).toBe(`(99+) ${APP_TITLE}`);
    expect(tabTitle(Number.NaN)).toBe(APP_TITLE);
  });
});

describe('favicon', () => {
  it('has no badge with nothing unread, a count up to 9, then 9+', () => {
    expect(faviconSvg(0)).not.toContain('<circle');
    expect(faviconSvg(3)).toContain('>3</text>');
    expect(faviconSvg(10)).toContain('>9+</text>');
    expect(faviconSvg(2.7)).toContain('>2</text>');
  });
});

describe('when to notify', () => {
  it("notifies for someone else's message while the tab is hidden", () => {
    expect(shouldNotify(msg(), hiddenGranted)).toBe(true);
    expect(shouldNotify(msg({ system: true, from: 'root' }), hiddenGranted)).toBe(true);
  });

  it('stays quiet when visible, turned off, not permitted, or for my own messages', () => {
    expect(shouldNotify(msg(), { ...hiddenGranted, hidden: false })).toBe(false);
    expect(shouldNotify(msg(), { ...hiddenGranted, enabled: false })).toBe(false);
    for (const permission of ['default', 'denied', 'unsupported'] as const) {
      expect(shouldNotify(msg(), { ...hiddenGranted, permission })).toBe(false);
    }
    expect(shouldNotify(msg({ from: 'alice' }), hiddenGranted)).toBe(false);
    // Usernames compare as the server does (case-folded): "Alice" is me too.
    expect(shouldNotify(msg({ from: 'ALICE' }), hiddenGranted)).toBe(false);
    // A state change of my own message (sending → delivered) is not news.
    expect(shouldNotify(msg({ from: 'bob', state: 'delivered' }), hiddenGranted)).toBe(false);
    // A group event is a line nobody wrote (from '', no text): nothing to show.
    const joined = msg({ from: '', text: '', event: { kind: 'joined', username: 'carol' } });
    expect(shouldNotify(joined, hiddenGranted)).toBe(false);
  });
});

describe('notification text', () => {
  const system = (from: string) => `[System message] · ${from}`;

  it('names the sender, the group, or marks a system message', () => {
    expect(notificationText(msg(), 'bob', system)).toEqual({ title: 'bob', body: 'hi' });
    expect(notificationText(msg({ conversation: 'g:7' }), '读书会', system).title).toBe(
      'bob · 读书会',
    );
    expect(notificationText(msg({ system: true, from: 'root' }), 'root', system).title).toBe(
      '[System message] · root',
    );
  });

  it('folds whitespace and cuts a long body by characters, not UTF-16 halves', () => {
    const long = '😀'.repeat(NOTIFY_BODY_MAX + 20);
    const { body } = notificationText(msg({ text: long }), 'bob', system);
    expect(Array.from(body)).toHaveLength(NOTIFY_BODY_MAX);
    expect(body.endsWith('…')).toBe(true);
    expect(body).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(notificationText(msg({ text: ' a\n\n b\t' }), 'bob', system).body).toBe('a b');
  });
});
