/**
 * Delivery receipts for stored messages (issue 12): when a recipient acknowledges a message they
 * pulled from the offline store, its sender is told that it was picked up, so a "Stored for later"
 * can truthfully become "Delivered". A receipt names the message id, who picked it up and when;
 * the server never had the content and a receipt carries none.
 *
 * A receipt is made only from a row the acknowledging user really held as its recipient (the ack's
 * delete returns them), so nobody can forge one for another user's message: acking ids you were
 * not sent deletes nothing and tells nobody anything. Receipts are store-and-forward like the mail
 * itself: kept until the sender acknowledges them (`receipts:ack`), pushed live to the sender's
 * room (every node, through the adapter) and announced at the next sign-in when they were away.
 * Each sender keeps at most `LIMITS.receiptsPerSenderMax`; past that the oldest go first, so a
 * sender who never signs in again costs a bounded number of rows.
 */
import type { DeliveryReceipt } from '../../shared/events.ts';
import { LIMITS } from '../../shared/limits.ts';
import { usernameKey } from '../../shared/names.ts';
import { preparedIn } from '../storage/prepared.ts';
import { BatchedLookup, LOOKUP_BATCH_MAX } from './batched-lookup.ts';
import type { ServiceContext } from './deps.ts';

type Db = ServiceContext['store']['db'];

/** A stored message that its recipient just acknowledged. */
export interface PickedUp {
  senderId: number;
  msgId: string;
}

export class ReceiptsService {
  /** Receipts waiting per sender, read together at connect (as the mailbox count is). */
  readonly #waiting: BatchedLookup<number, number>;

  constructor(private readonly deps: ServiceContext) {
    const { db, reader } = deps.store;
    const counts = preparedIn(
      db,
      (senderIds: number[]) =>
        db
          .selectFrom('receipts')
          .select(['sender_id', (eb) => eb.fn.countAll<number>().as('n')])
          .where('sender_id', 'in', senderIds)
          .groupBy('sender_id'),
      0,
      LOOKUP_BATCH_MAX,
      reader,
    );
    this.#waiting = new BatchedLookup(
      'receipt count',
      async (ids) => new Map((await counts(ids)).map((r) => [r.sender_id, Number(r.n)])),
    );
  }

  /**
   * Records that `recipient` picked these up, inside the ack's transaction (so a receipt exists
   * exactly when the stored copy is gone), and trims each sender to the cap. Returns what to tell
   * each sender once the transaction has committed.
   */
  async record(
    tx: Db,
    recipient: { id: number; username: string },
    picked: PickedUp[],
  ): Promise<Map<number, DeliveryReceipt[]>> {
    const bySender = new Map<number, DeliveryReceipt[]>();
    if (picked.length === 0) return bySender;
    const at = this.deps.now();
    await tx
      .insertInto('receipts')
      .values(
        picked.map((p) => ({
          sender_id: p.senderId,
          recipient_id: recipient.id,
          msg_id: p.msgId,
          at,
        })),
      )
      .onConflict((oc) => oc.columns(['sender_id', 'msg_id', 'recipient_id']).doNothing())
      .execute();
    for (const p of picked) {
      const list = bySender.get(p.senderId) ?? [];
      list.push({ id: p.msgId, to: recipient.username, at });
      bySender.set(p.senderId, list);
    }
    const cap = LIMITS.receiptsPerSenderMax;
    for (const senderId of bySender.keys()) {
      // Everything older than the sender's newest `cap`: one indexed delete, a no-op when under.
      await tx
        .deleteFrom('receipts')
        .where('sender_id', '=', senderId)
        .where('seq', '<=', (eb) =>
          eb
            .selectFrom('receipts')
            .select('seq')
            .where('sender_id', '=', senderId)
            .orderBy('seq', 'desc')
            .offset(cap)
            .limit(1),
        )
        .execute();
    }
    return bySender;
  }

  /** Tells each sender's live sockets; a sender who is away hears at the next sign-in. */
  announce(bySender: Map<number, DeliveryReceipt[]>): void {
    for (const [senderId, receipts] of bySender)
      this.deps.notifier.toUser(senderId, 'receipts:delivered', { receipts });
  }

  /** How many receipts wait for this sender. */
  async waiting(senderId: number): Promise<number> {
    return (await this.#waiting.get(senderId)) ?? 0;
  }

  /** The oldest waiting receipts of this sender, in the order the pickups happened. */
  async pull(
    senderId: number,
    limit: number = LIMITS.ackBatchMax,
  ): Promise<{ receipts: DeliveryReceipt[]; more: boolean }> {
    const rows = await this.deps.store.db
      .selectFrom('receipts')
      .innerJoin('users', 'users.id', 'receipts.recipient_id')
      .select(['receipts.msg_id', 'receipts.at', 'users.username'])
      .where('receipts.sender_id', '=', senderId)
      .orderBy('receipts.seq')
      .limit(limit + 1)
      .execute();
    return {
      receipts: rows.slice(0, limit).map((r) => ({ id: r.msg_id, to: r.username, at: r.at })),
      more: rows.length > limit,
    };
  }

  /** The sender has these receipts: they go. Only the sender's own; unknown pairs delete nothing. */
  async ack(
    senderId: number,
    receipts: { id: string; to: string }[],
  ): Promise<{ deleted: number }> {
    const db = this.deps.store.db;
    const keys = [...new Set(receipts.map((r) => usernameKey(r.to)))];
    const users = await db
      .selectFrom('users')
      .select(['id', 'username_key'])
      .where('username_key', 'in', keys)
      .execute();
    const idOf = new Map(users.map((u) => [u.username_key, u.id]));
    const pairs = receipts.flatMap((r) => {
      const recipientId = idOf.get(usernameKey(r.to));
      return recipientId === undefined ? [] : [{ recipientId, msgId: r.id }];
    });
    if (pairs.length === 0) return { deleted: 0 };
    const res = await db
      .deleteFrom('receipts')
      .where('sender_id', '=', senderId)
      .where((eb) =>
        eb.or(
          pairs.map((p) =>
            eb.and([eb('recipient_id', '=', p.recipientId), eb('msg_id', '=', p.msgId)]),
          ),
        ),
      )
      .executeTakeFirst();
    return { deleted: Number(res.numDeletedRows) };
  }

  /** Receipts nobody came back for within the offline age limit go, as the mail itself would. */
  async expire(before: number): Promise<number> {
    const res = await this.deps.store.db
      .deleteFrom('receipts')
      .where('at', '<', before)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
