/**
 * The state layer's data flow: components act through AppState, and what a view shows changes only
 * in response to the engine's events. The engine here is a stub that records calls and emits the
 * events a test gives it (the engine's own behaviour is tested in engine-core and integration).
 */
import { describe, expect, it, vi } from 'vitest';
import type { GroupMember } from '../../shared/events.ts';
import type { ChatEngine, ChatMessage, EngineEvent, SessionState } from '../../web/src/core/api.ts';
import { AppState } from '../../web/src/state/app.svelte.ts';

const session: SessionState = {
  phase: 'ready',
  user: { id: 1, username: 'alice', isAdmin: false },
  status: 'online',
  endedBecause: null,
};

function stubEngine(members: GroupMember[] = []) {
  const listeners = new Set<(e: EngineEvent) => void>();
  const calls: string[] = [];
  const sent: ChatMessage = {
    id: 'm1',
    conversation: 'u:bob',
    from: 'alice',
    text: 'hi',
    sentAt: 1,
    state: 'sending',
  };
  const engine = {
    session,
    social: { friends: [], incoming: [], outgoing: [], groups: [] },
    on: (l: (e: EngineEvent) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    history: async () => {
      calls.push('history');
      return [];
    },
    markRead: async () => undefined,
    // typing indicators and read receipts (issue 12)
    typing: () => undefined,
    typingIn: () => [],
    readReceipt: async () => undefined,
    setReadReceipts: () => undefined,
    groupMembers: async () => {
      calls.push('groupMembers');
      return members;
    },
    sendPrivate: async () => {
      calls.push('sendPrivate');
      return sent;
    },
    link: () => 'offline-store',
  } as unknown as ChatEngine;
  const emit = (e: EngineEvent) => {
    for (const l of listeners) l(e);
  };
  return { engine, calls, emit, sent };
}

describe('state layer', () => {
  it('a sent message reaches the open view once, by its event, not by the send’s result', async () => {
    const { engine, emit, sent, calls } = stubEngine();
    const app = new AppState(engine);
    app.open('u:bob');
    await app.active?.load();

    await app.send('u:bob', 'hi');
    expect(calls).toContain('sendPrivate');
    expect(app.active?.messages).toEqual([]);

    emit({ type: 'message', message: sent });
    emit({ type: 'message', message: { ...sent, state: 'delivered' } });
    expect(app.active?.messages).toEqual([{ ...sent, state: 'delivered' }]);
    app.dispose();
  });

  it('a presence event patches the open group’s members without asking the engine again', async () => {
    const members: GroupMember[] = [
      { username: 'alice', role: 'owner', status: 'online', publicKey: null },
      { username: 'bob', role: 'member', status: 'online', publicKey: null },
    ];
    const { engine, emit, calls } = stubEngine(members);
    const app = new AppState(engine);
    app.open('g:7');
    await vi.waitFor(() => expect(app.active?.members).toHaveLength(2));
    const reads = calls.filter((c) => c === 'groupMembers').length;
    expect(reads).toBe(1);

    emit({ type: 'presence', username: 'bob', status: 'away' });
    expect(app.active?.members?.find((m) => m.username === 'bob')?.status).toBe('away');
    expect(calls.filter((c) => c === 'groupMembers')).toHaveLength(reads);
    app.dispose();
  });
});
