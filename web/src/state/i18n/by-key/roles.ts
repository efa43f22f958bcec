/**
 * The roles messages by key, for a view that picks one at run time. A
 * record of the message functions (not a lookup by name) keeps them typed and tree-shaken.
 * Written by the i18n codemod from messages/en.json.
 */
import { m } from '../../../paraglide/messages.js';

export const rolesText = {
  owner: m.roles_owner,
  admin: m.roles_admin,
  member: m.roles_member,
};
