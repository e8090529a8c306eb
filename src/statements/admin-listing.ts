import type { User } from '../accounts/user.ts';
import { type Queryable, toDate } from '../db/database.ts';
import type { OrganisationSummary } from '../organisations/index.ts';
import type { StatementStatus } from './statement.ts';
import { findSignatories } from './statement-repository.ts';

export interface AdminListingFilters {
  status: StatementStatus | null;
  organisationId: number | null;
  language: string | null;
  page: number;
  perPage: number;
}

export interface AdminListingRow {
  id: number;
  slug: string;
  title: string;
  language: string;
  status: StatementStatus;
  publishedAt: Date;
  updatedAt: Date;
  signatories: OrganisationSummary[];
}

/** Statements in every state for the back office; contributors see only those of their organisations. */
export async function listStatementsForAdmin(
  db: Queryable,
  filters: AdminListingFilters,
  user: User,
): Promise<{ rows: AdminListingRow[]; total: number }> {
  let query = db.selectFrom('statements');
  if (filters.status !== null) query = query.where('statements.status', '=', filters.status);
  if (filters.language !== null) query = query.where('statements.language', '=', filters.language);
  const organisationFilter = (ids: number[]) =>
    query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('statement_signatories')
          .select('statement_signatories.statement_id')
          .whereRef('statement_signatories.statement_id', '=', 'statements.id')
          .where('statement_signatories.organisation_id', 'in', ids),
      ),
    );
  if (filters.organisationId !== null) query = organisationFilter([filters.organisationId]);
  if (user.role === 'contributor')
    query = organisationFilter(user.organisationIds.length > 0 ? user.organisationIds : [-1]);
  const [countRow, rows] = await Promise.all([
    query.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow(),
    query
      .select([
        'statements.id',
        'statements.slug',
        'statements.title',
        'statements.language',
        'statements.status',
        'statements.published_at',
        'statements.updated_at',
      ])
      .orderBy('statements.updated_at', 'desc')
      .orderBy('statements.id', 'desc')
      .limit(filters.perPage)
      .offset((filters.page - 1) * filters.perPage)
      .execute(),
  ]);
  const signatories = await findSignatories(
    db,
    rows.map((row) => row.id),
  );
  return {
    total: Number(countRow.count),
    rows: rows.map((row) => ({
      id: row.id,
      slug: row.slug,
      title: row.title,
      language: row.language,
      status: row.status as StatementStatus,
      publishedAt: toDate(row.published_at),
      updatedAt: toDate(row.updated_at),
      signatories: signatories.get(row.id) ?? [],
    })),
  };
}
