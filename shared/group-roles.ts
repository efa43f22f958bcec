/**
 * What each role in a group may do, in one place: the server enforces it
 * (signaling/services/groups.ts) and the web client offers only what it allows
 * (web/src/ui/GroupPanel.svelte), so the two cannot drift.
 *
 * The owner invites, removes anyone but themself, changes roles and deletes the group. An admin
 * invites and removes plain members. A member may only leave. The owner and admins make a group
 * a public room or private again.
 */
import type { GroupRole } from './events.ts';

export const groupRules = {
  invite: (actor: GroupRole): boolean => actor === 'owner' || actor === 'admin',
  /** Whether `actor` may remove a member whose role is `target` (never the owner). */
  remove: (actor: GroupRole, target: GroupRole): boolean =>
    target !== 'owner' && (actor === 'owner' || (actor === 'admin' && target === 'member')),
  /** Whether `actor` may make a member with role `target` an admin, or a plain member again. */
  setRole: (actor: GroupRole, target: GroupRole): boolean =>
    actor === 'owner' && target !== 'owner',
  delete: (actor: GroupRole): boolean => actor === 'owner',
  /** Rooms: who may list the group in the directory (open it to anyone) or take it out again. */
  setPublic: (actor: GroupRole): boolean => actor === 'owner' || actor === 'admin',
} as const;
