import { type Queryable, toDate } from '../db/database.ts';
import { readSettings } from '../settings/index.ts';
import { statementUrl } from '../site/site-presenter.ts';
import { prefixOfLanguage } from '../site/site-state.ts';
import { findSignatories } from '../statements/index.ts';
import { insertEventWithDeliveries, type StoredEvent } from './delivery-repository.ts';
import { TEST_EVENT, type WebhookEvent } from './webhook.ts';
import { findSubscribedWebhookIds } from './webhook-repository.ts';

/** A statement as it was when the event happened; the site address is added when sending. */
interface StatementSnapshot {
  id: number;
  slug: string;
  language: string;
  title: string;
  /** The public path, with the language prefix its canonical address has. */
  path: string;
  published_at: string;
  updated_at: string;
  organisations: { slug: string; name: string; country: string }[];
}

interface EventPayload {
  statement: StatementSnapshot | null;
}

async function snapshotStatement(
  db: Queryable,
  statementId: number,
): Promise<StatementSnapshot | undefined> {
  const row = await db
    .selectFrom('statements')
    .select(['id', 'slug', 'language', 'title', 'published_at', 'updated_at'])
    .where('id', '=', statementId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const [signatories, settings] = await Promise.all([
    findSignatories(db, [statementId]),
    readSettings(db),
  ]);
  const prefix = prefixOfLanguage(
    { languages: [settings.language, ...settings.languages], defaultLanguage: settings.language },
    row.language,
  );
  return {
    id: row.id,
    slug: row.slug,
    language: row.language,
    title: row.title,
    path: `${prefix}${statementUrl(row.slug)}`,
    published_at: toDate(row.published_at).toISOString(),
    updated_at: toDate(row.updated_at).toISOString(),
    organisations: (signatories.get(statementId) ?? []).map((organisation) => ({
      slug: organisation.slug,
      name: organisation.name,
      country: organisation.country,
    })),
  };
}

/**
 * Puts a statement event in the outbox for every active webhook that wants it. Call it inside
 * the transaction that made the change (before a delete), so the event exists exactly when the
 * change does; sending happens later, in the delivery worker, and never holds up the change.
 */
export async function enqueueStatementEvent(
  db: Queryable,
  event: WebhookEvent,
  statementId: number,
  now = new Date(),
): Promise<void> {
  const webhookIds = await findSubscribedWebhookIds(db, event);
  if (webhookIds.length === 0) return;
  const statement = await snapshotStatement(db, statementId);
  if (statement === undefined) return;
  const payload: EventPayload = { statement };
  await insertEventWithDeliveries(
    db,
    { event, statementId, payload: JSON.stringify(payload) },
    webhookIds,
    now,
  );
}

/** A test event for one webhook, carrying the latest published statement (or null) as a sample. */
export async function enqueueTestEvent(
  db: Queryable,
  webhookId: number,
  now = new Date(),
): Promise<string> {
  const latest = await db
    .selectFrom('statements')
    .select('id')
    .where('status', '=', 'published')
    .orderBy('published_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  const statement =
    latest === undefined ? null : ((await snapshotStatement(db, latest.id)) ?? null);
  const payload: EventPayload = { statement };
  return insertEventWithDeliveries(
    db,
    { event: TEST_EVENT, statementId: statement?.id ?? null, payload: JSON.stringify(payload) },
    [webhookId],
    now,
  );
}

/** The JSON body a receiver gets; the same bytes are signed. */
export function eventBody(event: StoredEvent, baseUrl: string): string {
  const { statement } = JSON.parse(event.payload) as EventPayload;
  return JSON.stringify({
    id: event.id,
    event: event.event,
    occurred_at: event.occurredAt.toISOString(),
    statement:
      statement === null
        ? null
        : {
            id: statement.id,
            slug: statement.slug,
            language: statement.language,
            title: statement.title,
            url: `${baseUrl}${statement.path}`,
            published_at: statement.published_at,
            updated_at: statement.updated_at,
            organisations: statement.organisations,
          },
  });
}
