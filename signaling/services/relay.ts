/**
 * The WebRTC signaling relay. A signal goes only to a related, online recipient, and carries the
 * sender's identity as the server knows it (the client never names itself).
 */
import { AppError } from '../../shared/errors.ts';
import type { ServiceDeps } from './deps.ts';
import { Relations } from './relations.ts';
import { Users } from './users.ts';

export class RelayService {
  readonly #users;
  readonly #relations;

  constructor(private readonly deps: ServiceDeps) {
    this.#users = new Users(deps);
    this.#relations = new Relations(deps);
  }

  async send(
    from: { id: number; username: string },
    to: string,
    signal: Record<string, unknown>,
  ): Promise<{ to: string }> {
    const recipient = await this.#users.require(to);
    if (recipient.id === from.id) throw new AppError('SELF', 'you cannot signal yourself');
    if (recipient.status === 'blocked')
      throw new AppError('USER_BLOCKED', `${recipient.username} is blocked`);
    if (!(await this.#relations.mayTalk(from.id, recipient.id))) {
      throw new AppError(
        'NOT_FRIENDS',
        `you and ${recipient.username} are neither friends nor in an unblocked group together`,
      );
    }
    if (!this.deps.presence.isOnline(recipient.id))
      throw new AppError('OFFLINE', `${recipient.username} is offline`);
    this.deps.notifier.toUser(recipient.id, 'signal', { from: from.username, signal });
    return { to: recipient.username };
  }
}
