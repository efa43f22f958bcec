/**
 * The signIn.endedBody messages by key, for a view that picks one at run time. A
 * record of the message functions (not a lookup by name) keeps them typed and tree-shaken.
 * Written by the i18n codemod from messages/en.json.
 */
import { m } from '../../../paraglide/messages.js';

export const signInEndedBodyText = {
  blocked: m.signIn_endedBody_blocked,
  elsewhere: m.signIn_endedBody_elsewhere,
  network: m.signIn_endedBody_network,
  logout: m.signIn_endedBody_logout,
  'keys-locked': m.signIn_endedBody_keysLocked,
  'keys-elsewhere': m.signIn_endedBody_keysElsewhere,
};
