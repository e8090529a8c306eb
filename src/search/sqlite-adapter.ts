import { type RawBuilder, sql } from 'kysely';
import { toDate } from '../db/database.ts';
import { filterConditions } from './filters-sql.ts';
import type { QueryPart } from './query.ts';
import { fts5Quote, toFts5Match } from './query.ts';
import {
  COUNT_LIMIT,
  type SearchAdapter,
  type SearchFilters,
  type SearchHit,
} from './search-adapter.ts';
import { makeSnippet } from './snippet.ts';
import {
  FACET_MARK,
  installV1,
  installV2,
  KEY_SCALE,
  pauseIndexingV2,
  resumeIndexingV2,
  uninstallV1,
  uninstallV2,
} from './sqlite-schema.ts';

const foldWord = (word: string) => word.replaceAll('ı', 'i').replaceAll('İ', 'i');
const facet = (kind: string, value: string | number) =>
  fts5Quote(`${FACET_MARK}${kind}${String(value).toLowerCase().replaceAll('-', '')}`);

/** The visitor's words, and the filters that FTS5 can narrow by itself (rows still check them exactly). */
function matchExpression(parts: QueryPart[], filters: SearchFilters): string {
  const terms = [toFts5Match(parts, foldWord)];
  if (filters.language !== undefined) terms.push(facet('l', filters.language));
  if (filters.organisationId !== undefined) terms.push(facet('o', filters.organisationId));
  if (filters.country !== undefined) terms.push(facet('c', filters.country));
  return terms.join(' ');
}

export const sqliteSearch: SearchAdapter = {
  engine: 'sqlite',
  install: installV1,
  uninstall: uninstallV1,
  installV2,
  uninstallV2,
  // The SQLite rebuild strips tags in JavaScript (resumeIndexingV2): nothing to migrate.
  async installV3() {},
  async uninstallV3() {},
  pauseIndexing: pauseIndexingV2,
  resumeIndexing: resumeIndexingV2,

  async search(db, { parts, filters, limit, offset, countLimit = COUNT_LIMIT }) {
    const match = matchExpression(parts, filters);
    const conditions = [sql`statement_search match ${match}`, filterConditions('x', filters)];
    // The key range lets FTS5 skip whole years; the filter on published_at stays exact.
    if (filters.publishedFrom !== undefined)
      conditions.push(
        sql`statement_search.rowid >= ${Math.floor(filters.publishedFrom.getTime() / 1000)} * ${sql.lit(KEY_SCALE)}`,
      );
    if (filters.publishedTo !== undefined)
      conditions.push(
        sql`statement_search.rowid < ${Math.ceil(filters.publishedTo.getTime() / 1000)} * ${sql.lit(KEY_SCALE)}`,
      );
    const where = sql.join(conditions, sql` and `);
    const rankedMatches = (rank: RawBuilder<number>, rows: number) =>
      sql<{ id: number; rank: number }>`
        select x.statement_id as id, ${rank} as rank
        from statement_search join statement_search_filters x on x.key = statement_search.rowid
        where ${where}
        order by statement_search.rowid desc
        limit ${rows}`.execute(db);
    // Newest first, stopping one past the count limit: one pass both counts and orders.
    let matched = (await rankedMatches(sql<number>`0`, countLimit + 1)).rows;
    const totalIsCapped = matched.length > countLimit;
    const total = Math.min(matched.length, countLimit);
    // bm25 first counts every row holding each phrase: cheap for a word, a whole second pass over
    // the positions for a quoted phrase, whose (exact) matches therefore stay newest first.
    const phrase = parts.some((part) => part.phrase);
    if (!totalIsCapped && !phrase && total > 1)
      matched = (
        await rankedMatches(sql<number>`bm25(statement_search, 10.0, 4.0, 1.0, 2.0, 0.0)`, total)
      ).rows;
    // Rare matches are all here: rank them (bm25 is lower for better; ties stay newest first).
    const ordered = totalIsCapped
      ? matched.slice(0, countLimit)
      : [...matched].sort((a, b) => a.rank - b.rank);
    const ids = ordered.slice(offset, offset + limit).map((row) => row.id);
    if (ids.length === 0) return { total, totalIsCapped, hits: [] };

    const rows = await sql<{
      id: number;
      slug: string;
      title: string;
      language: string;
      published_at: string;
      body: string;
    }>`select s.id, s.slug, s.title, s.language, s.published_at, d.body
      from statement_search_filters x
        join statement_search_docs d on d.key = x.key
        join statements s on s.id = x.statement_id
      where x.statement_id in (${sql.join(ids)})`.execute(db);
    const byId = new Map(rows.rows.map((row) => [row.id, row]));
    const hits: SearchHit[] = [];
    for (const id of ids) {
      const row = byId.get(id);
      if (row === undefined) continue;
      hits.push({
        id: row.id,
        slug: row.slug,
        title: row.title,
        language: row.language,
        publishedAt: toDate(row.published_at),
        snippet: makeSnippet(row.body, parts),
      });
    }
    return { total, totalIsCapped, hits };
  },
};
