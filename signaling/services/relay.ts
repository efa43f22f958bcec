/**
 * The WebRTC signaling relay. A signal goes only to a related, online recipient, and carries the
 * sender's identity as the server knows it (the client never names itself).
 */
import { AppError } from '../../shared/errors.ts';
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
    if (!recipient) throw new AppError('NOT_FOUND', `no user named "${to}"`, { username: to });
    if (recipient.id === from.id) throw new AppError('SELF', 'you cannot signal yourself');
    if (recipient.status === 'blocked')
      throw new AppError('USER_BLOCKED', `${recipient.username} is blocked`);
    if (!recipient.mayTalk) {
      throw new AppError(
        'NOT_FRIENDS',
        `you and ${recipient.username} are neither friends nor in an unblocked group together`,
      );
    }
    if (!this.deps.presence.isOnline(recipient.id))
      throw new AppError('OFFLINE', `${recipient.username} is offline`);
    if (this.deps.blocks?.has(from.id)) throw new AppError('USER_BLOCKED', 'you are blocked');
    this.deps.notifier.toUser(recipient.id, 'signal', { from: from.username, signal });
    return { to: recipient.username };
  }
}
