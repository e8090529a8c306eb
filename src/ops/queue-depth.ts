import type { Queryable } from '../db/database.ts';

/** Work waiting in the database, counted at scrape time through the status indexes. */
export interface QueueDepth {
  /** Webhook deliveries not tried yet (or on their first try). */
  webhookPending: number;
  /** Webhook deliveries that failed at least once and wait for another try. */
  webhookRetrying: number;
  /** Statements scheduled for publication. */
  scheduledStatements: number;
}

export async function countQueueDepth(db: Queryable): Promise<QueueDepth> {
  const [pending, retrying, scheduled] = await Promise.all([
    db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('status', '=', 'pending')
      .where('last_error', 'is', null)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('status', '=', 'pending')
      .where('last_error', 'is not', null)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('statements')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('status', '=', 'scheduled')
      .executeTakeFirstOrThrow(),
  ]);
  return {
    webhookPending: Number(pending.count),
    webhookRetrying: Number(retrying.count),
    scheduledStatements: Number(scheduled.count),
  };
}
