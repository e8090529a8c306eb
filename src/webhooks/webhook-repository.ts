import { type Queryable, toDate } from '../db/database.ts';
import { isWebhookEvent, type Webhook, type WebhookEvent, type WebhookInput } from './webhook.ts';

interface WebhookRow {
  id: number;
  url: string;
  description: string;
  events: string;
  active: number;
  created_at: Date | string;
  updated_at: Date | string;
}

function parseEvents(raw: string): WebhookEvent[] {
  const parsed: unknown = JSON.parse(raw);
  if (!Array.isArray(parsed)) return [];
  return parsed.filter(
    (event): event is WebhookEvent => typeof event === 'string' && isWebhookEvent(event),
  );
}

function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: parseEvents(row.events),
    active: row.active === 1,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

const COLUMNS = [
  'id',
  'url',
  'description',
  'events',
  'active',
  'created_at',
  'updated_at',
] as const;

export async function listWebhooks(db: Queryable): Promise<Webhook[]> {
  const rows = await db.selectFrom('webhooks').select(COLUMNS).orderBy('id').execute();
  return rows.map(toWebhook);
}

export async function findWebhook(db: Queryable, id: number): Promise<Webhook | undefined> {
  const row = await db
    .selectFrom('webhooks')
    .select(COLUMNS)
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : toWebhook(row);
}

/** Inserts a webhook whose secret is sealed afterwards, once its id (the sealing context) is known. */
export async function insertWebhook(
  db: Queryable,
  input: WebhookInput,
  createdBy: number | null,
  now: Date,
): Promise<number> {
  const { id } = await db
    .insertInto('webhooks')
    .values({
      url: input.url,
      description: input.description,
      events: JSON.stringify(input.events),
      active: input.active ? 1 : 0,
      secret_sealed: '',
      created_by: createdBy,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function updateWebhookRow(
  db: Queryable,
  id: number,
  input: WebhookInput,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('webhooks')
    .set({
      url: input.url,
      description: input.description,
      events: JSON.stringify(input.events),
      active: input.active ? 1 : 0,
      updated_at: now,
    })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function storeSealedSecret(
  db: Queryable,
  id: number,
  sealed: string,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('webhooks')
    .set({ secret_sealed: sealed, updated_at: now })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteWebhookRow(db: Queryable, id: number): Promise<boolean> {
  const result = await db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** The active webhooks that asked for an event; there are few, so the JSON list is read here. */
export async function findSubscribedWebhookIds(
  db: Queryable,
  event: WebhookEvent,
): Promise<number[]> {
  const rows = await db
    .selectFrom('webhooks')
    .select(['id', 'events'])
    .where('active', '=', 1)
    .orderBy('id')
    .execute();
  return rows.filter((row) => parseEvents(row.events).includes(event)).map((row) => row.id);
}
