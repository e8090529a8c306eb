import type { Queryable } from '../db/database.ts';
import type { StatementListing } from './statement.ts';
import { findSignatories, LISTING_COLUMNS, toListing } from './statement-repository.ts';

/** Narrowing of the published statements; every field is optional and already validated. */
export interface PublishedFilter {
  organisationId?: number;
  /** ISO 3166-1 alpha-2 code of any signatory's country. */
  country?: string;
  language?: string;
  /** Published at or after this instant. */
  publishedFrom?: Date;
  /** Published strictly before this instant. */
  publishedBefore?: Date;
}

/** Where a page ends: the last statement shown, in newest-first order. */
export interface ListingCursor {
  publishedAt: Date;
  id: number;
}

/**
 * Published statements newest first, after a cursor (keyset pagination): a statement published
 * while a reader pages through never shifts the pages they have not read yet.
 */
export async function listPublishedPage(
  db: Queryable,
  filter: PublishedFilter,
  cursor: ListingCursor | undefined,
  limit: number,
): Promise<StatementListing[]> {
  let select = db
    .selectFrom('statements')
    .select(LISTING_COLUMNS)
    .where('statements.status', '=', 'published')
    .orderBy('statements.published_at', 'desc')
    .orderBy('statements.id', 'desc')
    .limit(limit);
  if (filter.language !== undefined)
    select = select.where('statements.language', '=', filter.language);
  if (filter.publishedFrom !== undefined)
    select = select.where('statements.published_at', '>=', filter.publishedFrom);
  if (filter.publishedBefore !== undefined)
    select = select.where('statements.published_at', '<', filter.publishedBefore);
  if (cursor !== undefined) {
    select = select.where((eb) =>
      eb.or([
        eb('statements.published_at', '<', cursor.publishedAt),
        eb.and([
          eb('statements.published_at', '=', cursor.publishedAt),
          eb('statements.id', '<', cursor.id),
        ]),
      ]),
    );
  }
  const { organisationId, country } = filter;
  if (organisationId !== undefined) {
    select = select.where((eb) =>
      eb.exists(
        eb
          .selectFrom('statement_signatories')
          .select('statement_signatories.statement_id')
          .whereRef('statement_signatories.statement_id', '=', 'statements.id')
          .where('statement_signatories.organisation_id', '=', organisationId),
      ),
    );
  }
  if (country !== undefined) {
    select = select.where((eb) =>
      eb.exists(
        eb
          .selectFrom('statement_signatories')
          .innerJoin('organisations', 'organisations.id', 'statement_signatories.organisation_id')
          .select('statement_signatories.statement_id')
          .whereRef('statement_signatories.statement_id', '=', 'statements.id')
          .where('organisations.country', '=', country),
      ),
    );
  }
  const rows = await select.execute();
  const signatories = await findSignatories(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => toListing(row, signatories.get(row.id) ?? []));
}
