/**
 * The same notice or toast repeated says nothing new: it is shown once (moved to now), while a
 * command typed twice still gets two answers, and different words still stack.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatEngine } from '../../web/src/core/api.ts';
import { AppState } from '../../web/src/state/app.svelte.ts';
import { NoticeLog } from '../../web/src/state/notices.svelte.ts';

describe('NoticeLog', () => {
  it('keeps one copy of a repeated unprompted notice, moved to the end', () => {
    const log = new NoticeLog();
    log.add({ lines: ['not sent: offline'], level: 'error' });
    log.add({ lines: ['loaded'], level: 'info' });
    log.add({ lines: ['loaded'], level: 'info' });
    log.add({ lines: ['loaded'], level: 'info' });
    expect(log.notices.map((n) => n.lines[0])).toEqual(['not sent: offline', 'loaded']);
  });

  it('answers a command typed twice twice, and tells levels apart', () => {
    const log = new NoticeLog();
    log.add({ command: '/friends', lines: ['none'], level: 'info' });
    log.add({ command: '/friends', lines: ['none'], level: 'info' });
    log.add({ lines: ['x'], level: 'info' });
    log.add({ lines: ['x'], level: 'error' });
    expect(log.notices).toHaveLength(4);
  });
});

describe('AppState toasts', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function app(): AppState {
    const engine = {
      session: { phase: 'signed-out', user: null, status: 'online', endedBecause: null },
      social: { friends: [], requests: [], groups: [], invitations: [] },
      on: () => () => {},
      setReadReceipts: () => undefined,
    } as unknown as ChatEngine;
    return new AppState(engine);
  }

  it('shows the same words once, and keeps them for the full time from the last repeat', () => {
    const state = app();
    state.toast('bob is no longer your friend');
    vi.advanceTimersByTime(4_000);
    state.toast('bob is no longer your friend');
    state.toast('something else', 'error');
    expect(state.toasts.map((t) => t.text)).toEqual([
      'bob is no longer your friend',
      'something else',
    ]);
    // 6 s after the first would have removed it; the repeat restarted its clock.
    vi.advanceTimersByTime(3_000);
    expect(state.toasts.map((t) => t.text)).toContain('bob is no longer your friend');
    vi.advanceTimersByTime(3_500);
    expect(state.toasts).toEqual([]);
  });
});
