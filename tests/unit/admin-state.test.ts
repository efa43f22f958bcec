/**
 * The admin view's state against a stub engine that records every request: blocking a group from
 * the listing is one request naming the group by its id, and the row shows the ack's answer
 * without the tables being fetched again.
 */
import { describe, expect, it } from 'vitest';
import type { AdminGroup, AdminGroupRef } from '../../shared/events.ts';
import type { ChatEngine } from '../../web/src/core/api.ts';
import { EngineError } from '../../web/src/core/api.ts';
import { AdminState } from '../../web/src/state/admin.svelte.ts';

const crew: AdminGroup = {
  id: 7,
  name: 'crew',
  creator: 'bob',
  owner: 'bob',
  online: 1,
  total: 2,
  blocked: false,
  public: false,
};
const other: AdminGroup = { ...crew, id: 8, name: 'other' };

function stubEngine(refuse = false, refuseUser = false) {
  const requests: unknown[][] = [];
  const admin: Partial<ChatEngine['admin']> = {
    users: async () => (requests.push(['users']), []),
    groups: async () => (requests.push(['groups']), [crew, other]),
    log: async () => (requests.push(['log']), []),
    setUserBlocked: async (username, blocked) => {
      requests.push(['setUserBlocked', username, blocked]);
      if (refuseUser)
        throw new EngineError({ code: 'FORBIDDEN', message: 'only administrators can do that' });
    },
    setGroupBlocked: async (group: AdminGroupRef, blocked: boolean) => {
      requests.push(['setGroupBlocked', group, blocked]);
      if (refuse)
        throw new EngineError({
          code: 'NOT_FOUND',
          message: 'no such group',
          details: { groupId: 7 },
        });
    },
  };
  return { engine: { admin } as unknown as ChatEngine, requests };
}

describe('AdminState', () => {
  it('blocks and unblocks a group from the listing by its id, one request each, nothing re-fetched', async () => {
    const { engine, requests } = stubEngine();
    const state = new AdminState(engine);
    await state.refresh();
    requests.length = 0;

    await state.setGroupBlocked(crew, true);
    expect(requests).toEqual([['setGroupBlocked', { groupId: 7 }, true]]);
    expect(state.groups).toEqual([{ ...crew, blocked: true }, other]);
    expect(state.error).toBeNull();
    expect(state.busy.size).toBe(0);

    await state.setGroupBlocked(state.groups[0]!, false);
    expect(requests).toEqual([
      ['setGroupBlocked', { groupId: 7 }, true],
      ['setGroupBlocked', { groupId: 7 }, false],
    ]);
    expect(state.groups).toEqual([crew, other]);
  });

  it('shows a refusal and leaves the row as it was', async () => {
    const { engine, requests } = stubEngine(true);
    const state = new AdminState(engine);
    await state.refresh();
    requests.length = 0;

    await state.setGroupBlocked(crew, true);
    expect(requests).toEqual([['setGroupBlocked', { groupId: 7 }, true]]);
    expect(state.groups).toEqual([crew, other]);
    expect(state.error).toBe('That group does not exist, or you have no invitation to it.');
  });

  it('still re-fetches the tables after a user block', async () => {
    const { engine, requests } = stubEngine();
    const state = new AdminState(engine);
    await state.setUserBlocked('mallory', true);
    expect(requests).toEqual([['setUserBlocked', 'mallory', true], ['users'], ['groups'], ['log']]);
  });

  it("keeps a failed user block's error through the refresh that follows it", async () => {
    const { engine, requests } = stubEngine(false, true);
    const state = new AdminState(engine);
    await state.setUserBlocked('root', true);
    // The tables were fetched again (the server's word on the row), and the reason stayed.
    expect(requests).toEqual([['setUserBlocked', 'root', true], ['users'], ['groups'], ['log']]);
    expect(state.error).toBe('You are not allowed to do that.');
    // A later refresh on its own leaves it too.
    await state.refresh();
    expect(state.error).toBe('You are not allowed to do that.');
  });
});
