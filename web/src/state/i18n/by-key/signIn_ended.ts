/**
 * The signIn.ended messages by key, for a view that picks one at run time. A
 * record of the message functions (not a lookup by name) keeps them typed and tree-shaken.
 * Written by the i18n codemod from messages/en.json.
 */
import { m } from '../../../paraglide/messages.js';

export const signInEndedText = {
  blocked: m.signIn_ended_blocked,
  elsewhere: m.signIn_ended_elsewhere,
  network: m.signIn_ended_network,
  logout: m.signIn_ended_logout,
  'keys-locked': m.signIn_ended_keysLocked,
  'keys-elsewhere': m.signIn_ended_keysElsewhere,
};
