/**
 * The WebRTC signaling relay. A signal goes only to a related, online recipient, and carries the
 * sender's identity as the server knows it (the client never names itself).
 */
import { errors } from '../error-catalogue.ts';
import type { ServiceContext } from './deps.ts';

export class RelayService {
  readonly #relations;

  constructor(private readonly deps: ServiceContext) {
    this.#relations = deps.relations;
  }

  async send(
    from: { id: number; username: string },
    to: string,
    signal: Record<string, unknown>,
  ): Promise<{ to: string }> {
    // One query answers who the recipient is and whether the two may talk; the checks below keep
    // the order (and so the error) they had as separate lookups.
    const recipient = await this.#relations.reach(from.id, to);
    if (!recipient) throw errors.userNotFound({ username: to });
    if (recipient.id === from.id) throw errors.signalSelf();
    if (recipient.status === 'blocked') throw errors.userBlocked({ username: recipient.username });
    if (!recipient.mayTalk) {
      throw errors.unreachable({ username: recipient.username });
    }
    if (!this.deps.presence.isOnline(recipient.id))
      throw errors.recipientOffline({ username: recipient.username });
    if (this.deps.blocks?.has(from.id)) throw errors.senderBlocked();
    this.deps.notifier.toUser(recipient.id, 'signal', { from: from.username, signal });
    return { to: recipient.username };
  }
}
