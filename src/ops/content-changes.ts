import { type Queryable, toDate } from '../db/database.ts';

/** One committed change to what the public site shows, as the audit log recorded it. */
export interface ContentChange {
  auditId: number;
  at: Date;
  /** e.g. statement.published, organisation.updated, settings.updated. */
  action: string;
  subjectId: number | null;
  detail: Record<string, unknown>;
}

const CONTENT_ACTION_PREFIXES = ['statement.', 'organisation.', 'page.', 'settings.'];

function parseDetail(raw: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The newest audit entry's id, or 0: changes after it are new to this process. */
export async function latestAuditId(db: Queryable): Promise<number> {
  const row = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  return Number(row?.id ?? 0);
}

/**
 * Content changes recorded after `afterId`, and those recorded since `since` (a transaction may
 * take its id before another that commits first): callers skip ids they have handled.
 */
export async function listContentChanges(
  db: Queryable,
  afterId: number,
  since: Date,
  limit: number,
): Promise<ContentChange[]> {
  const contentRows = db
    .selectFrom('audit_log')
    .select(['id', 'at', 'action', 'subject_id', 'detail'])
    .where((eb) =>
      eb.or(CONTENT_ACTION_PREFIXES.map((prefix) => eb('action', 'like', `${prefix}%`))),
    )
    .limit(limit);
  // Two range reads, by id and by time, rather than one OR that makes SQLite scan the whole log.
  const [newer, recent] = await Promise.all([
    contentRows.where('id', '>', afterId).orderBy('id').execute(),
    contentRows.where('at', '>=', since).orderBy('at').execute(),
  ]);
  const rows = new Map([...recent, ...newer].map((row) => [row.id, row]));
  return [...rows.values()]
    .sort((a, b) => a.id - b.id)
    .map((row) => ({
      auditId: row.id,
      at: toDate(row.at),
      action: row.action,
      subjectId: row.subject_id,
      detail: parseDetail(row.detail),
    }));
}

/** What a statement's change can have touched: its translations, neighbours and signatories. */
export interface StatementSurroundings {
  status: string;
  /** The original and every translation, this one included. */
  versionIds: number[];
  /** The published statements just newer and just older, whose pages link to this one. */
  neighbourIds: number[];
  organisationIds: number[];
}

export async function findStatementSurroundings(
  db: Queryable,
  id: number,
): Promise<StatementSurroundings | undefined> {
  const statement = await db
    .selectFrom('statements')
    .select(['id', 'status', 'published_at', 'translation_of_id'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (statement === undefined) return undefined;
  const groupId = statement.translation_of_id ?? statement.id;
  const at = statement.published_at;
  const neighbour = db
    .selectFrom('statements')
    .select('id')
    .where('status', '=', 'published')
    .where('id', '!=', id)
    .limit(1);
  const [versions, newer, older, signatories] = await Promise.all([
    db
      .selectFrom('statements')
      .select('id')
      .where((eb) => eb.or([eb('id', '=', groupId), eb('translation_of_id', '=', groupId)]))
      .execute(),
    neighbour
      .where('published_at', '>=', at)
      .orderBy('published_at', 'asc')
      .orderBy('id', 'asc')
      .executeTakeFirst(),
    neighbour
      .where('published_at', '<=', at)
      .orderBy('published_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst(),
    db
      .selectFrom('statement_signatories')
      .select('organisation_id')
      .where('statement_id', '=', id)
      .orderBy('position')
      .execute(),
  ]);
  return {
    status: statement.status,
    versionIds: versions.map((row) => row.id),
    neighbourIds: [newer?.id, older?.id].filter((value) => value !== undefined),
    organisationIds: signatories.map((row) => row.organisation_id),
  };
}
