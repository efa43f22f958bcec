/**
 * The presence messages by key, for a view that picks one at run time. A
 * record of the message functions (not a lookup by name) keeps them typed and tree-shaken.
 * Written by the i18n codemod from messages/en.json.
 */
import { m } from '../../../paraglide/messages.js';

export const presenceText = {
  online: m.presence_online,
  away: m.presence_away,
  busy: m.presence_busy,
  offline: m.presence_offline,
  unknown: m.presence_unknown,
  unknownHint: m.presence_unknownHint,
};
