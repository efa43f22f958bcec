import type { ChatMessage } from '../core/api.ts';

/** Union by id (later wins, so a state change replaces the sending copy), ordered by time. */
export function merge(a: readonly ChatMessage[], b: readonly ChatMessage[]): ChatMessage[] {
  const byId = new Map<string, ChatMessage>();
  for (const m of a) byId.set(m.id, m);
  for (const m of b) byId.set(m.id, m);
  return [...byId.values()].sort((x, y) => x.sentAt - y.sentAt || (x.id < y.id ? -1 : 1));
}
