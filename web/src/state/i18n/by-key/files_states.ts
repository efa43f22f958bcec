/**
 * The files.states messages by key, for a view that picks one at run time. A
 * record of the message functions (not a lookup by name) keeps them typed and tree-shaken.
 * Written by the i18n codemod from messages/en.json.
 */
import { m } from '../../../paraglide/messages.js';

export const filesStatesText = {
  offered: m.files_states_offered,
  moving: m.files_states_moving,
  paused: m.files_states_paused,
  pausedByPeer: m.files_states_pausedByPeer,
  waiting: m.files_states_waiting,
  verifying: m.files_states_verifying,
  done: m.files_states_done,
  cancelled: m.files_states_cancelled,
  failed: m.files_states_failed,
  offline: m.files_states_offline,
  interrupted: m.files_states_interrupted,
  waitingForFile: m.files_states_waitingForFile,
};
