import { type RawBuilder, sql } from 'kysely';
import type { SearchFilters } from './search-adapter.ts';

/** The conditions every search shares, on `statements` aliased `s`; standard SQL on both engines. */
export function filterConditions(filters: SearchFilters): RawBuilder<unknown> {
  const conditions: RawBuilder<unknown>[] = [sql`s.status = 'published'`];
  if (filters.language !== undefined) conditions.push(sql`s.language = ${filters.language}`);
  if (filters.publishedFrom !== undefined)
    conditions.push(sql`s.published_at >= ${filters.publishedFrom}`);
  if (filters.publishedTo !== undefined)
    conditions.push(sql`s.published_at < ${filters.publishedTo}`);
  if (filters.organisationId !== undefined)
    conditions.push(
      sql`exists (select 1 from statement_signatories f where f.statement_id = s.id and f.organisation_id = ${filters.organisationId})`,
    );
  if (filters.country !== undefined)
    conditions.push(
      sql`exists (select 1 from statement_signatories f join organisations o on o.id = f.organisation_id where f.statement_id = s.id and o.country = ${filters.country})`,
    );
  return sql.join(conditions, sql` and `);
}
