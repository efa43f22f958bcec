import { describe, expect, it } from 'vitest';
import type { GroupRole } from '../../shared/events.ts';
import { groupRules } from '../../shared/group-roles.ts';

const ROLES: GroupRole[] = ['owner', 'admin', 'member'];
const table = (rule: (actor: GroupRole, target: GroupRole) => boolean) =>
  Object.fromEntries(ROLES.map((actor) => [actor, ROLES.filter((target) => rule(actor, target))]));

describe('group roles: one rule for the server and the client', () => {
  it('owner and admins invite; a member does not', () => {
    expect(ROLES.filter(groupRules.invite)).toEqual(['owner', 'admin']);
  });

  it('the owner removes admins and members, an admin removes members, nobody removes the owner', () => {
    expect(table(groupRules.remove)).toEqual({
      owner: ['admin', 'member'],
      admin: ['member'],
      member: [],
    });
  });

  it('only the owner changes roles, and not their own', () => {
    expect(table(groupRules.setRole)).toEqual({
      owner: ['admin', 'member'],
      admin: [],
      member: [],
    });
  });

  it('only the owner deletes the group', () => {
    expect(ROLES.filter(groupRules.delete)).toEqual(['owner']);
  });
});
