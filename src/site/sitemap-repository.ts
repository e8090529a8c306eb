import { type Queryable, type Timestamp, toDate } from '../db/database.ts';

/** A published statement as the sitemap needs it: no title, no body. */
export interface SitemapStatement {
  id: number;
  slug: string;
  language: string;
  updatedAt: Date;
  translationOfId: number | null;
}

/** A published version of a translation group, for hreflang alternates. */
export interface SitemapVersion {
  id: number;
  slug: string;
  language: string;
  translationOfId: number | null;
}

/** A static page with the instant it last changed. */
export interface SitemapItem {
  slug: string;
  updatedAt: Date;
}

/** An organisation: its own last change, and the last change to a published statement it signed. */
export interface SitemapOrganisation extends SitemapItem {
  latestSignedUpdate: Date | null;
}

function latest(value: Timestamp | null | undefined): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

/** Up to `limit` published statements after `afterId` (null: from the first), by id: keyset pages, never OFFSET scans of whole rows. */
export async function listSitemapStatements(
  db: Queryable,
  afterId: number | null,
  limit: number,
): Promise<SitemapStatement[]> {
  let select = db
    .selectFrom('statements')
    .select(['id', 'slug', 'language', 'updated_at', 'translation_of_id'])
    .where('status', '=', 'published')
    .orderBy('id')
    .limit(limit);
  if (afterId !== null) select = select.where('id', '>', afterId);
  const rows = await select.execute();
  return rows.map((row) => ({
    id: row.id,
    slug: row.slug,
    language: row.language,
    updatedAt: toDate(row.updated_at),
    translationOfId: row.translation_of_id,
  }));
}

/** Ids and update instants only, by id, for summing up sitemap parts without reading slugs. */
export async function listSitemapStatementStamps(
  db: Queryable,
  afterId: number | null,
  limit: number,
): Promise<{ id: number; updatedAt: Date }[]> {
  let select = db
    .selectFrom('statements')
    .select(['id', 'updated_at'])
    .where('status', '=', 'published')
    .orderBy('id')
    .limit(limit);
  if (afterId !== null) select = select.where('id', '>', afterId);
  const rows = await select.execute();
  return rows.map((row) => ({ id: row.id, updatedAt: toDate(row.updated_at) }));
}

/** The id of the published statement at a position in id order (0-based): where a sitemap part starts. */
export async function publishedStatementIdAt(
  db: Queryable,
  position: number,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('statements')
    .select('id')
    .where('status', '=', 'published')
    .orderBy('id')
    .limit(1)
    .offset(position)
    .executeTakeFirst();
  return row?.id;
}

function toVersion(row: {
  id: number;
  slug: string;
  language: string;
  translation_of_id: number | null;
}): SitemapVersion {
  return {
    id: row.id,
    slug: row.slug,
    language: row.language,
    translationOfId: row.translation_of_id,
  };
}

/** Published translations of the given originals: an index probe per id, rows read only for hits. */
export async function listPublishedTranslationsOf(
  db: Queryable,
  originalIds: number[],
): Promise<SitemapVersion[]> {
  if (originalIds.length === 0) return [];
  // Status is checked here, not in SQL: with it SQLite scans every published statement instead of probing.
  const rows = await db
    .selectFrom('statements')
    .select(['id', 'slug', 'language', 'translation_of_id', 'status'])
    .where('translation_of_id', 'in', originalIds)
    .execute();
  return rows.filter((row) => row.status === 'published').map(toVersion);
}

/** Published statements by id. */
export async function listPublishedByIds(db: Queryable, ids: number[]): Promise<SitemapVersion[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('statements')
    .select(['id', 'slug', 'language', 'translation_of_id'])
    .where('id', 'in', ids)
    .where('status', '=', 'published')
    .execute();
  return rows.map(toVersion);
}

/** When a published statement last changed, optionally among those published in [from, to). */
export async function latestStatementUpdate(
  db: Queryable,
  range?: { from: Date; to: Date },
): Promise<Date | null> {
  let select = db
    .selectFrom('statements')
    .select((eb) => eb.fn.max('updated_at').as('latest'))
    .where('status', '=', 'published');
  if (range !== undefined)
    select = select.where('published_at', '>=', range.from).where('published_at', '<', range.to);
  const row = await select.executeTakeFirst();
  return latest(row?.latest);
}

/** Organisations with their own last change and that of the statements they signed. */
export async function listSitemapOrganisations(db: Queryable): Promise<SitemapOrganisation[]> {
  const [organisations, signed] = await Promise.all([
    db.selectFrom('organisations').select(['id', 'slug', 'updated_at']).orderBy('id').execute(),
    db
      .selectFrom('statement_signatories')
      .innerJoin('statements', 'statements.id', 'statement_signatories.statement_id')
      .select((eb) => [
        'statement_signatories.organisation_id',
        eb.fn.max('statements.updated_at').as('latest'),
      ])
      .where('statements.status', '=', 'published')
      .groupBy('statement_signatories.organisation_id')
      .execute(),
  ]);
  const latestSigned = new Map(signed.map((row) => [row.organisation_id, latest(row.latest)]));
  return organisations.map((row) => ({
    slug: row.slug,
    updatedAt: toDate(row.updated_at),
    latestSignedUpdate: latestSigned.get(row.id) ?? null,
  }));
}

/** Static pages, by slug. */
export async function listSitemapPages(db: Queryable): Promise<SitemapItem[]> {
  const rows = await db
    .selectFrom('pages')
    .select(['slug', 'updated_at'])
    .orderBy('slug')
    .execute();
  return rows.map((row) => ({ slug: row.slug, updatedAt: toDate(row.updated_at) }));
}
