import { type Queryable, toDate } from '../db/database.ts';
import type { StatementStatus } from './statement.ts';

/** A saved state of a statement. */
export interface Revision {
  id: number;
  statementId: number;
  number: number;
  title: string;
  slug: string;
  bodyMd: string;
  summaryMd: string | null;
  language: string;
  publishedAt: Date;
  signatoryIds: number[];
  status: StatementStatus;
  authorLabel: string;
  createdAt: Date;
}

export type RevisionInput = Omit<Revision, 'id' | 'number' | 'createdAt'> & {
  authorUserId: number | null;
};

export async function insertRevision(
  db: Queryable,
  input: RevisionInput,
  now: Date,
): Promise<number> {
  const last = await db
    .selectFrom('statement_revisions')
    .select((eb) => eb.fn.max('number').as('number'))
    .where('statement_id', '=', input.statementId)
    .executeTakeFirst();
  const number = Number(last?.number ?? 0) + 1;
  await db
    .insertInto('statement_revisions')
    .values({
      statement_id: input.statementId,
      number,
      title: input.title,
      slug: input.slug,
      body_md: input.bodyMd,
      summary_md: input.summaryMd,
      language: input.language,
      published_at: input.publishedAt,
      signatory_ids: JSON.stringify(input.signatoryIds),
      status: input.status,
      author_user_id: input.authorUserId,
      author_label: input.authorLabel,
      created_at: now,
    })
    .execute();
  return number;
}

function toRevision(row: {
  id: number;
  statement_id: number;
  number: number;
  title: string;
  slug: string;
  body_md: string;
  summary_md: string | null;
  language: string;
  published_at: Date | string;
  signatory_ids: string;
  status: string;
  author_label: string;
  created_at: Date | string;
}): Revision {
  return {
    id: row.id,
    statementId: row.statement_id,
    number: row.number,
    title: row.title,
    slug: row.slug,
    bodyMd: row.body_md,
    summaryMd: row.summary_md,
    language: row.language,
    publishedAt: toDate(row.published_at),
    signatoryIds: JSON.parse(row.signatory_ids) as number[],
    status: row.status as StatementStatus,
    authorLabel: row.author_label,
    createdAt: toDate(row.created_at),
  };
}

export async function listRevisions(db: Queryable, statementId: number): Promise<Revision[]> {
  const rows = await db
    .selectFrom('statement_revisions')
    .selectAll()
    .where('statement_id', '=', statementId)
    .orderBy('number', 'desc')
    .execute();
  return rows.map(toRevision);
}

export async function findRevision(
  db: Queryable,
  statementId: number,
  number: number,
): Promise<Revision | undefined> {
  const row = await db
    .selectFrom('statement_revisions')
    .selectAll()
    .where('statement_id', '=', statementId)
    .where('number', '=', number)
    .executeTakeFirst();
  return row === undefined ? undefined : toRevision(row);
}
