/**
 * The admin log's actions in words, by the action code the server records
 * (signaling/services/moderation.ts). A record of the message functions keeps them typed; an
 * action this client does not know yet shows as its code.
 */
import { m } from '../../../paraglide/messages.js';

const ACTIONS: Record<string, () => string> = {
  adminsend: m.admin_logAction_adminsend,
  adminsendgroup: m.admin_logAction_adminsendgroup,
  broadcast: m.admin_logAction_broadcast,
  blockuser: m.admin_logAction_blockuser,
  unblockuser: m.admin_logAction_unblockuser,
  blockgroup: m.admin_logAction_blockgroup,
  unblockgroup: m.admin_logAction_unblockgroup,
};

export function adminActionText(action: string): string {
  return Object.hasOwn(ACTIONS, action) ? ACTIONS[action]!() : action;
}
