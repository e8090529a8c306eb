import { type RawBuilder, sql } from 'kysely';
import { toDate } from '../db/database.ts';
import { filterConditions } from './filters-sql.ts';
import { toFts5Match } from './query.ts';
import { COUNT_LIMIT, type SearchAdapter, type SearchHit } from './search-adapter.ts';
import {
  installV1,
  installV2,
  KEY_SCALE,
  pauseIndexingV2,
  resumeIndexingV2,
  uninstallV1,
  uninstallV2,
} from './sqlite-schema.ts';

const foldWord = (word: string) => word.replaceAll('ı', 'i').replaceAll('İ', 'i');

export const sqliteSearch: SearchAdapter = {
  engine: 'sqlite',
  install: installV1,
  uninstall: uninstallV1,
  installV2,
  uninstallV2,
  pauseIndexing: pauseIndexingV2,
  resumeIndexing: resumeIndexingV2,

  async search(db, { parts, filters, limit, offset, countLimit = COUNT_LIMIT }) {
    const match = toFts5Match(parts, foldWord);
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
    const bm25 = sql<number>`bm25(statement_search, 10.0, 4.0, 1.0, 2.0)`;
    // A phrase costs a full pass over its words' positions: rank in that one pass. A word is
    // cheap to find again, so the first pass skips bm25 and only a rare word's matches get ranked.
    const phrase = parts.some((part) => part.phrase);
    // Newest first, stopping one past the count limit: one pass both counts and orders.
    let matched = (await rankedMatches(phrase ? bm25 : sql<number>`0`, countLimit + 1)).rows;
    const totalIsCapped = matched.length > countLimit;
    const total = Math.min(matched.length, countLimit);
    if (!totalIsCapped && !phrase && total > 1) matched = (await rankedMatches(bm25, total)).rows;
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
      snippet: string | null;
    }>`-- cross join: SQLite would otherwise scan every match to find these ten.
      select s.id, s.slug, s.title, s.language, s.published_at,
        snippet(statement_search, 2, char(1), char(2), '…', 32) as snippet
      from statement_search_filters x
        cross join statement_search
        join statements s on s.id = x.statement_id
      where x.statement_id in (${sql.join(ids)}) and statement_search.rowid = x.key
        and statement_search match ${match}`.execute(db);
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
        snippet: row.snippet ?? '',
      });
    }
    return { total, totalIsCapped, hits };
  },
};
