import { randomUUID } from 'node:crypto';
import { type Queryable, toDate } from '../db/database.ts';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One event as the outbox keeps it. */
export interface StoredEvent {
  id: string;
  event: string;
  occurredAt: Date;
  /** JSON written when the event happened. */
  payload: string;
}

/** A delivery this worker holds the lease on, with what it needs to send it. */
export interface ClaimedDelivery {
  id: string;
  leaseToken: string;
  /** Including the one being made now. */
  attempt: number;
  webhookId: number;
  url: string;
  secretSealed: string;
  event: StoredEvent;
}

/** A row of the delivery log. */
export interface DeliveryLogEntry {
  id: string;
  event: string;
  eventId: string;
  status: DeliveryStatus;
  attempts: number;
  createdAt: Date;
  lastAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  completedAt: Date | null;
  /** A worker is sending it right now. */
  inFlight: boolean;
}

export type DeliveryOutcome =
  | { ok: true; statusCode: number }
  | { ok: false; statusCode: number | null; error: string };

function isDeliveryStatus(value: string): value is DeliveryStatus {
  return (DELIVERY_STATUSES as readonly string[]).includes(value);
}

/** Writes an event and one pending delivery per webhook; call it inside the change's transaction. */
export async function insertEventWithDeliveries(
  db: Queryable,
  event: { event: string; statementId: number | null; payload: string },
  webhookIds: number[],
  now: Date,
): Promise<string> {
  const eventId = randomUUID();
  await db
    .insertInto('webhook_events')
    .values({
      id: eventId,
      event: event.event,
      statement_id: event.statementId,
      payload: event.payload,
      occurred_at: now,
    })
    .execute();
  if (webhookIds.length > 0) {
    await db
      .insertInto('webhook_deliveries')
      .values(
        webhookIds.map((webhookId) => ({
          id: randomUUID(),
          webhook_id: webhookId,
          event_id: eventId,
          status: 'pending',
          attempts: 0,
          next_attempt_at: now,
          lease_token: null,
          lease_until: null,
          last_attempt_at: null,
          last_status_code: null,
          last_error: null,
          completed_at: null,
          created_at: now,
        })),
      )
      .execute();
  }
  return eventId;
}

/**
 * Takes up to `limit` due deliveries, at most one per webhook, skipping webhooks in `busy`.
 * Each is taken by a compare-and-set on its attempt count and lease, so when several
 * processes share the database exactly one of them wins each delivery, on both engines.
 */
export async function claimDueDeliveries(
  db: Queryable,
  options: { now: Date; limit: number; leaseMs: number; busy: ReadonlySet<number> },
): Promise<ClaimedDelivery[]> {
  const { now, limit, leaseMs, busy } = options;
  if (limit <= 0) return [];
  const candidates = await db
    .selectFrom('webhook_deliveries')
    .innerJoin('webhooks', 'webhooks.id', 'webhook_deliveries.webhook_id')
    .select([
      'webhook_deliveries.id',
      'webhook_deliveries.webhook_id',
      'webhook_deliveries.attempts',
    ])
    .where('webhook_deliveries.status', '=', 'pending')
    .where('webhooks.active', '=', 1)
    .where('webhook_deliveries.next_attempt_at', '<=', now)
    .where((eb) =>
      eb.or([
        eb('webhook_deliveries.lease_until', 'is', null),
        eb('webhook_deliveries.lease_until', '<=', now),
      ]),
    )
    .$if(busy.size > 0, (query) =>
      query.where('webhook_deliveries.webhook_id', 'not in', [...busy]),
    )
    .orderBy('webhook_deliveries.next_attempt_at')
    .orderBy('webhook_deliveries.created_at')
    .limit(limit * 4)
    .execute();
  const chosen: typeof candidates = [];
  const webhooks = new Set<number>();
  for (const candidate of candidates) {
    if (chosen.length === limit) break;
    if (webhooks.has(candidate.webhook_id)) continue;
    webhooks.add(candidate.webhook_id);
    chosen.push(candidate);
  }
  const leaseUntil = new Date(now.getTime() + leaseMs);
  const claimed = new Map<string, { token: string; attempt: number }>();
  for (const candidate of chosen) {
    const token = randomUUID();
    const result = await db
      .updateTable('webhook_deliveries')
      .set({
        lease_token: token,
        lease_until: leaseUntil,
        attempts: candidate.attempts + 1,
        last_attempt_at: now,
      })
      .where('id', '=', candidate.id)
      .where('status', '=', 'pending')
      .where('attempts', '=', candidate.attempts)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1)
      claimed.set(candidate.id, { token, attempt: candidate.attempts + 1 });
  }
  if (claimed.size === 0) return [];
  const rows = await db
    .selectFrom('webhook_deliveries')
    .innerJoin('webhooks', 'webhooks.id', 'webhook_deliveries.webhook_id')
    .innerJoin('webhook_events', 'webhook_events.id', 'webhook_deliveries.event_id')
    .select([
      'webhook_deliveries.id',
      'webhooks.id as webhook_id',
      'webhooks.url',
      'webhooks.secret_sealed',
      'webhook_events.id as event_id',
      'webhook_events.event',
      'webhook_events.occurred_at',
      'webhook_events.payload',
    ])
    .where('webhook_deliveries.id', 'in', [...claimed.keys()])
    .execute();
  return rows.flatMap((row) => {
    const lease = claimed.get(row.id);
    if (lease === undefined) return [];
    return [
      {
        id: row.id,
        leaseToken: lease.token,
        attempt: lease.attempt,
        webhookId: row.webhook_id,
        url: row.url,
        secretSealed: row.secret_sealed,
        event: {
          id: row.event_id,
          event: row.event,
          occurredAt: toDate(row.occurred_at),
          payload: row.payload,
        },
      },
    ];
  });
}

/**
 * Records how an attempt went, if this worker still holds the lease: delivered, failed for
 * good after the last attempt, or pending again at `retryAt`.
 */
export async function recordDeliveryOutcome(
  db: Queryable,
  delivery: Pick<ClaimedDelivery, 'id' | 'leaseToken'>,
  outcome: DeliveryOutcome,
  next: { retryAt: Date } | { giveUp: true },
  now: Date,
): Promise<boolean> {
  const finished = outcome.ok || 'giveUp' in next;
  const result = await db
    .updateTable('webhook_deliveries')
    .set({
      status: outcome.ok ? 'delivered' : finished ? 'failed' : 'pending',
      lease_token: null,
      lease_until: null,
      last_status_code: outcome.statusCode,
      last_error: outcome.ok ? null : outcome.error.slice(0, 1000),
      completed_at: finished ? now : null,
      ...('retryAt' in next && !outcome.ok ? { next_attempt_at: next.retryAt } : {}),
    })
    .where('id', '=', delivery.id)
    .where('lease_token', '=', delivery.leaseToken)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Gives a delivery back untried (the server is stopping mid-request), to be sent again at once. */
export async function releaseDelivery(
  db: Queryable,
  delivery: Pick<ClaimedDelivery, 'id' | 'leaseToken'>,
  now: Date,
): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set((eb) => ({
      lease_token: null,
      lease_until: null,
      attempts: eb('attempts', '-', 1),
      next_attempt_at: now,
    }))
    .where('id', '=', delivery.id)
    .where('lease_token', '=', delivery.leaseToken)
    .execute();
}

/** When the next unleased pending delivery of an active webhook falls due, or null when none waits. */
export async function nextDueAt(db: Queryable, now: Date): Promise<Date | null> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .innerJoin('webhooks', 'webhooks.id', 'webhook_deliveries.webhook_id')
    .select((eb) => eb.fn.min('webhook_deliveries.next_attempt_at').as('due'))
    .where('webhook_deliveries.status', '=', 'pending')
    .where('webhooks.active', '=', 1)
    .where((eb) =>
      eb.or([
        eb('webhook_deliveries.lease_until', 'is', null),
        eb('webhook_deliveries.lease_until', '<=', now),
      ]),
    )
    .executeTakeFirst();
  return row?.due == null ? null : toDate(row.due);
}

export async function listRecentDeliveries(
  db: Queryable,
  webhookId: number,
  limit: number,
  now: Date,
): Promise<DeliveryLogEntry[]> {
  const rows = await db
    .selectFrom('webhook_deliveries')
    .innerJoin('webhook_events', 'webhook_events.id', 'webhook_deliveries.event_id')
    .select([
      'webhook_deliveries.id',
      'webhook_events.event',
      'webhook_events.id as event_id',
      'webhook_deliveries.status',
      'webhook_deliveries.attempts',
      'webhook_deliveries.created_at',
      'webhook_deliveries.last_attempt_at',
      'webhook_deliveries.last_status_code',
      'webhook_deliveries.last_error',
      'webhook_deliveries.next_attempt_at',
      'webhook_deliveries.completed_at',
      'webhook_deliveries.lease_until',
    ])
    .where('webhook_deliveries.webhook_id', '=', webhookId)
    .orderBy('webhook_deliveries.created_at', 'desc')
    .orderBy('webhook_events.occurred_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => {
    const status = isDeliveryStatus(row.status) ? row.status : 'pending';
    return {
      id: row.id,
      event: row.event,
      eventId: row.event_id,
      status,
      attempts: row.attempts,
      createdAt: toDate(row.created_at),
      lastAttemptAt: row.last_attempt_at === null ? null : toDate(row.last_attempt_at),
      lastStatusCode: row.last_status_code,
      lastError: row.last_error,
      nextAttemptAt: status === 'pending' ? toDate(row.next_attempt_at) : null,
      completedAt: row.completed_at === null ? null : toDate(row.completed_at),
      inFlight:
        status === 'pending' &&
        row.lease_until !== null &&
        toDate(row.lease_until).getTime() > now.getTime(),
    };
  });
}

/** How many deliveries of each webhook wait or failed, for the list page. */
export async function countDeliveriesByStatus(
  db: Queryable,
): Promise<Map<number, Record<DeliveryStatus, number>>> {
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select((eb) => ['webhook_id', 'status', eb.fn.countAll<number>().as('count')])
    .groupBy(['webhook_id', 'status'])
    .execute();
  const counts = new Map<number, Record<DeliveryStatus, number>>();
  for (const row of rows) {
    if (!isDeliveryStatus(row.status)) continue;
    const entry = counts.get(row.webhook_id) ?? { pending: 0, delivered: 0, failed: 0 };
    entry[row.status] = Number(row.count);
    counts.set(row.webhook_id, entry);
  }
  return counts;
}

/** Forgets finished deliveries older than `before`, and events no delivery needs any more. */
export async function pruneFinishedDeliveries(db: Queryable, before: Date): Promise<number> {
  const result = await db
    .deleteFrom('webhook_deliveries')
    .where('status', 'in', ['delivered', 'failed'])
    .where('completed_at', '<', before)
    .executeTakeFirst();
  await db
    .deleteFrom('webhook_events')
    .where('occurred_at', '<', before)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('webhook_deliveries')
            .select('webhook_deliveries.id')
            .whereRef('webhook_deliveries.event_id', '=', 'webhook_events.id'),
        ),
      ),
    )
    .execute();
  return Number(result.numDeletedRows);
}
