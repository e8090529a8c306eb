import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import { renderMarkdown } from '../content/markdown.ts';
import { type Database, type Queryable, type Timestamp, toDate } from '../db/database.ts';
import type { OrganisationSummary, UpsertOutcome } from '../organisations/index.ts';
import {
  ALL_BUCKET,
  countKept,
  countKeptByPart,
  organisationBucket,
  periodBuckets,
} from './published-count-buckets.ts';
import {
  isStatementStatus,
  type Statement,
  type StatementInput,
  type StatementListing,
  type StatementNeighbours,
  type TranslationLink,
} from './statement.ts';

export const LISTING_COLUMNS = [
  'statements.id',
  'statements.slug',
  'statements.title',
  'statements.language',
  'statements.body_html',
  'statements.summary_html',
  'statements.published_at',
  'statements.updated_at',
] as const;

const FULL_COLUMNS = [
  ...LISTING_COLUMNS,
  'statements.body_md',
  'statements.summary_md',
  'statements.status',
  'statements.translation_of_id',
] as const;

export interface ListingRow {
  id: number;
  slug: string;
  title: string;
  language: string;
  body_html: string;
  summary_html: string | null;
  published_at: Timestamp;
  updated_at: Timestamp;
}

interface FullRow extends ListingRow {
  body_md: string;
  summary_md: string | null;
  status: string;
  translation_of_id: number | null;
}

export function toListing(row: ListingRow, signatories: OrganisationSummary[]): StatementListing {
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    language: row.language,
    bodyHtml: row.body_html,
    summaryHtml: row.summary_html,
    publishedAt: toDate(row.published_at),
    updatedAt: toDate(row.updated_at),
    signatories,
  };
}

function toStatement(row: FullRow, signatories: OrganisationSummary[]): Statement {
  if (!isStatementStatus(row.status))
    throw new Error(`Statement ${row.slug} has an unknown status "${row.status}"`);
  return {
    ...toListing(row, signatories),
    bodyMd: row.body_md,
    summaryMd: row.summary_md,
    status: row.status,
    translationOfId: row.translation_of_id,
  };
}

/** Signatories of each statement, in signing order. */
export async function findSignatories(
  db: Queryable,
  statementIds: number[],
): Promise<Map<number, OrganisationSummary[]>> {
  const byStatement = new Map<number, OrganisationSummary[]>(statementIds.map((id) => [id, []]));
  if (statementIds.length === 0) return byStatement;
  const rows = await db
    .selectFrom('statement_signatories')
    .innerJoin('organisations', 'organisations.id', 'statement_signatories.organisation_id')
    .select([
      'statement_signatories.statement_id',
      'organisations.id',
      'organisations.slug',
      'organisations.name',
      'organisations.country',
    ])
    .where('statement_signatories.statement_id', 'in', statementIds)
    .orderBy('statement_signatories.statement_id')
    .orderBy('statement_signatories.position')
    .execute();
  for (const row of rows) {
    byStatement
      .get(row.statement_id)
      ?.push({ id: row.id, slug: row.slug, name: row.name, country: row.country });
  }
  return byStatement;
}

/** Which statements a language's listings show: its own, and optionally originals not translated into it. */
export interface LanguageView {
  language: string;
  includeUntranslated: boolean;
}

type StatementCondition = (eb: ExpressionBuilder<Database, 'statements'>) => Expression<SqlBool>;

/**
 * The statements a language's listings show: its own, and optionally each original without a
 * published translation into it, probed from the index alone. OFFSET 0 keeps PostgreSQL from
 * hashing every statement in the language instead (76,000 index entries per render at 100,000
 * statements).
 */
function inLanguage(view: LanguageView): StatementCondition {
  return (eb) => {
    const own = eb('statements.language', '=', view.language);
    if (!view.includeUntranslated) return own;
    return eb.or([
      own,
      eb.and([
        eb('statements.translation_of_id', 'is', null),
        eb.not(
          eb.exists(
            eb
              .selectFrom('statements as translation')
              .select('translation.translation_of_id')
              .whereRef('translation.translation_of_id', '=', 'statements.id')
              .where('translation.language', '=', view.language)
              .where('translation.status', '=', 'published')
              .limit(1)
              .offset(0),
          ),
        ),
      ]),
    ]);
  };
}

/** Where an entry stands in a newest-first listing. */
export interface ListingPosition {
  publishedAt: Date;
  id: number;
}

export interface PublishedQuery {
  view?: LanguageView;
  organisationId?: number;
  limit: number;
  /** Entries to skip, counted from `from` when given, else from the newest. */
  offset: number;
  /** Start at this entry (included) instead of the newest: a deep page walks from a checkpoint. */
  from?: ListingPosition;
}

/** Published statements, newest first, optionally those one organisation signed. */
export async function listPublishedStatements(
  db: Queryable,
  query: PublishedQuery,
): Promise<StatementListing[]> {
  let page = db
    .selectFrom('statements')
    .select('statements.id')
    .where('statements.status', '=', 'published')
    .orderBy('statements.published_at', 'desc')
    .orderBy('statements.id', 'desc')
    .limit(query.limit)
    .offset(query.offset);
  if (query.view !== undefined) page = page.where(inLanguage(query.view));
  const from = query.from;
  if (from !== undefined) {
    // The plain range first, so both engines start the index walk there.
    page = page
      .where('statements.published_at', '<=', from.publishedAt)
      .where((eb) =>
        eb(
          eb.refTuple('statements.published_at', 'statements.id'),
          '<=',
          eb.tuple(from.publishedAt, from.id),
        ),
      );
  }
  if (query.organisationId !== undefined) {
    page = page
      .innerJoin('statement_signatories', 'statement_signatories.statement_id', 'statements.id')
      .where('statement_signatories.organisation_id', '=', query.organisationId);
  }
  // The page's ids first: the offset is walked over index entries, and only the page's rows are read.
  const rows = await db
    .selectFrom('statements')
    .select(LISTING_COLUMNS)
    .where('statements.id', 'in', page)
    .orderBy('statements.published_at', 'desc')
    .orderBy('statements.id', 'desc')
    .execute();
  const signatories = await findSignatories(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => toListing(row, signatories.get(row.id) ?? []));
}

/**
 * The first `count` of every `span`-th entry of a language view's newest-first listing, from the
 * newest: one walk over that many index entries, so that a deep page walks at most `span` entries
 * from the nearest one.
 */
export async function readListingCheckpoints(
  db: Queryable,
  view: LanguageView,
  span: number,
  count: number,
): Promise<ListingPosition[]> {
  // Limited before numbering, so neither engine numbers more entries than it needs.
  const newest = db
    .selectFrom('statements')
    .select(['statements.published_at', 'statements.id'])
    .where('statements.status', '=', 'published')
    .where(inLanguage(view))
    .orderBy('statements.published_at', 'desc')
    .orderBy('statements.id', 'desc')
    .limit((count - 1) * span + 1);
  const ranked = db
    .selectFrom(newest.as('newest'))
    .select([
      'newest.published_at',
      'newest.id',
      sql<number>`row_number() over (order by ${sql.ref('newest.published_at')} desc, ${sql.ref('newest.id')} desc)`.as(
        'entry_number',
      ),
    ]);
  const rows = await db
    .selectFrom(ranked.as('ranked'))
    .select(['ranked.published_at', 'ranked.id'])
    .where(sql<number>`(${sql.ref('ranked.entry_number')} - 1) % ${span}`, '=', 0)
    .orderBy('ranked.entry_number')
    .execute();
  return rows.map((row) => ({ publishedAt: toDate(row.published_at), id: row.id }));
}

/** Published statements, optionally those one organisation signed, shown in `view`; from the kept counts. */
export async function countPublishedStatements(
  db: Queryable,
  organisationId?: number,
  view?: LanguageView,
): Promise<number> {
  return countKept(
    db,
    [organisationId === undefined ? ALL_BUCKET : organisationBucket(organisationId)],
    view,
  );
}

export async function findPublishedStatementBySlug(
  db: Queryable,
  slug: string,
): Promise<Statement | undefined> {
  const row = await db
    .selectFrom('statements')
    .select(FULL_COLUMNS)
    .where('statements.slug', '=', slug)
    .where('statements.status', '=', 'published')
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const signatories = await findSignatories(db, [row.id]);
  return toStatement(row, signatories.get(row.id) ?? []);
}

/** The published statements just newer and just older than this one. */
export async function findNeighbours(
  db: Queryable,
  statement: StatementListing,
): Promise<StatementNeighbours> {
  const at = statement.publishedAt;
  const base = db
    .selectFrom('statements')
    .select(['slug', 'title', 'language'])
    .where('status', '=', 'published')
    .limit(1);
  // The leading range condition lets both engines walk the (status, published_at, id) index instead of scanning.
  const [newer, older] = await Promise.all([
    base
      .where('published_at', '>=', at)
      .where((eb) => eb.or([eb('published_at', '>', at), eb('id', '>', statement.id)]))
      .orderBy('published_at', 'asc')
      .orderBy('id', 'asc')
      .executeTakeFirst(),
    base
      .where('published_at', '<=', at)
      .where((eb) => eb.or([eb('published_at', '<', at), eb('id', '<', statement.id)]))
      .orderBy('published_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst(),
  ]);
  return { newer: newer ?? null, older: older ?? null };
}

/** Published versions of the same statement in other languages. */
export async function findTranslations(
  db: Queryable,
  statement: Statement,
): Promise<TranslationLink[]> {
  const groupId = statement.translationOfId ?? statement.id;
  // Status is checked here, not in SQL: with it SQLite scans the status index instead of two id lookups.
  const rows = await db
    .selectFrom('statements')
    .select(['id', 'slug', 'title', 'language', 'status'])
    .where((eb) => eb.or([eb('id', '=', groupId), eb('translation_of_id', '=', groupId)]))
    .orderBy('language')
    .execute();
  return rows
    .filter((row) => row.status === 'published' && row.id !== statement.id)
    .map(({ id, slug, title, language }) => ({
      slug,
      title,
      language,
      isOriginal: id === groupId,
    }));
}

/** Creates or updates a statement by slug, with its signatories; leaves an identical one untouched. */
export async function upsertStatement(
  db: Queryable,
  input: StatementInput,
  now: Date,
): Promise<{ id: number; outcome: UpsertOutcome }> {
  const existing = await db
    .selectFrom('statements')
    .select(FULL_COLUMNS)
    .where('statements.slug', '=', input.slug)
    .executeTakeFirst();
  const values = {
    title: input.title,
    body_md: input.bodyMd,
    body_html: renderMarkdown(input.bodyMd),
    summary_md: input.summaryMd,
    summary_html: input.summaryMd === null ? null : renderMarkdown(input.summaryMd),
    language: input.language,
    status: input.status,
    published_at: input.publishedAt,
    translation_of_id: input.translationOfId,
  };
  if (existing === undefined) {
    const inserted = await db
      .insertInto('statements')
      .values({ slug: input.slug, ...values, created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    await replaceSignatories(db, inserted.id, input.signatoryIds);
    return { id: inserted.id, outcome: 'created' };
  }
  const currentSignatories = (await findSignatories(db, [existing.id])).get(existing.id) ?? [];
  const same =
    existing.title === values.title &&
    existing.body_md === values.body_md &&
    existing.summary_md === values.summary_md &&
    existing.language === values.language &&
    existing.status === values.status &&
    toDate(existing.published_at).getTime() === values.published_at.getTime() &&
    existing.translation_of_id === values.translation_of_id &&
    currentSignatories.map((organisation) => organisation.id).join(',') ===
      input.signatoryIds.join(',');
  if (same) return { id: existing.id, outcome: 'unchanged' };
  await db
    .updateTable('statements')
    .set({ ...values, updated_at: now })
    .where('id', '=', existing.id)
    .execute();
  await replaceSignatories(db, existing.id, input.signatoryIds);
  return { id: existing.id, outcome: 'updated' };
}

async function replaceSignatories(
  db: Queryable,
  statementId: number,
  organisationIds: number[],
): Promise<void> {
  await db.deleteFrom('statement_signatories').where('statement_id', '=', statementId).execute();
  if (organisationIds.length === 0) return;
  await db
    .insertInto('statement_signatories')
    .values(
      organisationIds.map((organisationId, position) => ({
        statement_id: statementId,
        organisation_id: organisationId,
        position,
      })),
    )
    .execute();
}

/** Every statement in any state, oldest first, for export. */
export async function listAllStatements(db: Queryable): Promise<Statement[]> {
  const rows = await db
    .selectFrom('statements')
    .select(FULL_COLUMNS)
    .orderBy('statements.published_at')
    .orderBy('statements.id')
    .execute();
  const signatories = await findSignatories(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => toStatement(row, signatories.get(row.id) ?? []));
}

export async function countAllStatements(db: Queryable): Promise<number> {
  const row = await db
    .selectFrom('statements')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** The current slug of a statement whose old slug this was, if it is published. */
export async function findRedirectedSlug(
  db: Queryable,
  oldSlug: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('slug_redirects')
    .innerJoin('statements', 'statements.id', 'slug_redirects.statement_id')
    .select('statements.slug')
    .where('slug_redirects.old_slug', '=', oldSlug)
    .where('statements.status', '=', 'published')
    .executeTakeFirst();
  return row?.slug;
}

/**
 * How many statements were published in [from, to): whole UTC months and days from the kept
 * counts, and the hours at either end (a time zone's offset) counted from the listing index.
 */
export async function countPublishedBetween(
  db: Queryable,
  from: Date,
  to: Date,
  view?: LanguageView,
): Promise<number> {
  const [count] = await countPublishedInPeriods(db, [{ from, to }], view);
  return count ?? 0;
}

/** `countPublishedBetween` for disjoint periods (the months of a year) in two queries instead of two per period. */
export async function countPublishedInPeriods(
  db: Queryable,
  periods: { from: Date; to: Date }[],
  view?: LanguageView,
): Promise<number[]> {
  const split = periods.map(({ from, to }) => periodBuckets(from, to));
  const [kept, edges] = await Promise.all([
    countKeptByPart(
      db,
      split.map(({ buckets }) => buckets),
      view,
    ),
    countEdges(
      db,
      split.map(({ edges }) => edges),
      view,
    ),
  ]);
  return periods.map((_, index) => (kept[index] ?? 0) + (edges[index] ?? 0));
}

/** Published statements in the short ranges at the ends of periods, counted row by row. */
async function countEdges(
  db: Queryable,
  parts: { from: Date; to: Date }[][],
  view: LanguageView | undefined,
): Promise<number[]> {
  const counts = parts.map(() => 0);
  const asked = parts.flatMap((ranges, part) => ranges.map((range) => ({ ...range, part })));
  if (asked.length === 0) return counts;
  const within = (range: { from: Date; to: Date }) =>
    sql<boolean>`(${sql.ref('statements.published_at')} >= ${range.from} and ${sql.ref('statements.published_at')} < ${range.to})`;
  const part = sql<number>`case ${sql.join(
    asked.map((range) => sql`when ${within(range)} then ${sql.lit(range.part)}`),
    sql` `,
  )} end`;
  let select = db
    .selectFrom('statements')
    .select([part.as('part'), (eb) => eb.fn.countAll<number>().as('count')])
    .where('statements.status', '=', 'published')
    .where((eb) => eb.or(asked.map((range) => within(range))))
    .groupBy(sql`1`);
  if (view !== undefined) select = select.where(inLanguage(view));
  for (const row of await select.execute()) {
    const index = Number(row.part);
    if (index in counts) counts[index] = Number(row.count);
  }
  return counts;
}

/** Published statements in [from, to), newest first. */
export async function listPublishedBetween(
  db: Queryable,
  from: Date,
  to: Date,
  limit: number,
  offset: number,
  view?: LanguageView,
): Promise<StatementListing[]> {
  let select = db
    .selectFrom('statements')
    .select(LISTING_COLUMNS)
    .where('statements.status', '=', 'published')
    .where('statements.published_at', '>=', from)
    .where('statements.published_at', '<', to)
    .orderBy('statements.published_at', 'desc')
    .orderBy('statements.id', 'desc')
    .limit(limit)
    .offset(offset);
  if (view !== undefined) select = select.where(inLanguage(view));
  const rows = await select.execute();
  const signatories = await findSignatories(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => toListing(row, signatories.get(row.id) ?? []));
}

/** The first and last publication instants, or null when nothing is published. */
export async function publishedRange(db: Queryable): Promise<{ first: Date; last: Date } | null> {
  const [first, last] = await Promise.all(
    (['asc', 'desc'] as const).map((direction) =>
      db
        .selectFrom('statements')
        .select('published_at')
        .where('status', '=', 'published')
        .orderBy('published_at', direction)
        .limit(1)
        .executeTakeFirst(),
    ),
  );
  return first && last
    ? { first: toDate(first.published_at), last: toDate(last.published_at) }
    : null;
}
