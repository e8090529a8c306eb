import { type RawBuilder, sql } from 'kysely';
import type { SearchFilters } from './search-adapter.ts';

/**
 * The conditions every search shares, on the index's narrow row aliased `row` (statement_id,
 * status, language, published_at); standard SQL on both engines.
 */
export function filterConditions(row: string, filters: SearchFilters): RawBuilder<unknown> {
  const column = (name: string) => sql.ref(`${row}.${name}`);
  const conditions: RawBuilder<unknown>[] = [sql`${column('status')} = 'published'`];
  if (filters.language !== undefined)
    conditions.push(sql`${column('language')} = ${filters.language}`);
  if (filters.publishedFrom !== undefined)
    conditions.push(sql`${column('published_at')} >= ${filters.publishedFrom}`);
  if (filters.publishedTo !== undefined)
    conditions.push(sql`${column('published_at')} < ${filters.publishedTo}`);
  if (filters.organisationId !== undefined)
    conditions.push(
      sql`exists (select 1 from statement_signatories f where f.statement_id = ${column('statement_id')} and f.organisation_id = ${filters.organisationId})`,
    );
  if (filters.country !== undefined)
    conditions.push(
      sql`exists (select 1 from statement_signatories f join organisations o on o.id = f.organisation_id where f.statement_id = ${column('statement_id')} and o.country = ${filters.country})`,
    );
  return sql.join(conditions, sql` and `);
}
