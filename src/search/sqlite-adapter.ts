import { sql } from 'kysely';
import { toDate } from '../db/database.ts';
import { filterConditions } from './filters-sql.ts';
import { toFts5Match } from './query.ts';
import type { SearchAdapter, SearchHit } from './search-adapter.ts';

/*
 * SQLite: an FTS5 table with external content. `statement_search_docs` holds the plain text of
 * each statement (tags stripped from the rendered HTML, entities decoded, signatories' names);
 * `statement_search` indexes it with unicode61 (diacritics removed). unicode61 does not fold the
 * Turkish dotless ı, so the indexed text (and the query) map ı/İ to i; the docs keep the original
 * spelling for snippets, and token positions are unchanged by the mapping.
 * Triggers on statements, statement_signatories and organisations rebuild a statement's row in
 * the same transaction as the write.
 */

const fold = (column: string) => `replace(replace(${column}, 'ı', 'i'), 'İ', 'i')`;

/** Visible text of rendered HTML: tags removed one by one by a recursive CTE, entities decoded. */
function plain(html: string): string {
  const stripped = `(with recursive r(t, n) as (select ${html}, 0 union all
    select substr(t, 1, instr(t, '<') - 1) || ' ' || substr(t, instr(t, '<') + instr(substr(t, instr(t, '<')), '>')), n + 1
    from r where instr(t, '<') > 0 and instr(substr(t, instr(t, '<')), '>') > 0)
    select t from r order by n desc limit 1)`;
  let text = stripped;
  for (const [entity, char] of [
    ['&lt;', '<'],
    ['&gt;', '>'],
    ['&quot;', '"'],
    ['&#39;', "''"],
    ['&nbsp;', ' '],
    ['&amp;', '&'],
  ])
    text = `replace(${text}, '${entity}', '${char}')`;
  return text;
}

const COLUMNS = ['title', 'summary', 'body', 'organisations'];

/** Statements to rebuild the index for, given as `id in <ids>`. */
function reindex(ids: string): string[] {
  return [
    `insert into statement_search(statement_search, rowid, ${COLUMNS.join(', ')})
      select 'delete', id, ${COLUMNS.map(fold).join(', ')} from statement_search_docs where id in ${ids};`,
    `delete from statement_search_docs where id in ${ids};`,
    `insert into statement_search_docs(id, ${COLUMNS.join(', ')})
      select s.id, s.title, ${plain("coalesce(s.summary_html, '')")}, ${plain('s.body_html')},
        coalesce((select group_concat(o.name, ' · ') from statement_signatories ss
          join organisations o on o.id = ss.organisation_id where ss.statement_id = s.id), '')
      from statements s where s.id in ${ids};`,
    `insert into statement_search(rowid, ${COLUMNS.join(', ')})
      select id, ${COLUMNS.map(fold).join(', ')} from statement_search_docs where id in ${ids};`,
  ];
}

const TRIGGERS: [name: string, event: string, ids: string][] = [
  ['statements_search_insert', 'after insert on statements', '(new.id)'],
  [
    'statements_search_update',
    'after update of title, summary_html, body_html on statements',
    '(new.id, old.id)',
  ],
  ['statements_search_delete', 'after delete on statements', '(old.id)'],
  ['signatories_search_insert', 'after insert on statement_signatories', '(new.statement_id)'],
  ['signatories_search_delete', 'after delete on statement_signatories', '(old.statement_id)'],
  [
    'organisations_search_update',
    'after update of name on organisations',
    '(select statement_id from statement_signatories where organisation_id = new.id)',
  ],
];

export const sqliteSearch: SearchAdapter = {
  engine: 'sqlite',

  async install(db) {
    await sql`create table statement_search_docs (
      id integer primary key, title text not null, summary text not null,
      body text not null, organisations text not null)`.execute(db);
    await sql`create virtual table statement_search using fts5(
      title, summary, body, organisations,
      content = 'statement_search_docs', content_rowid = 'id',
      tokenize = "unicode61 remove_diacritics 2")`.execute(db);
    for (const [name, event, ids] of TRIGGERS) {
      await sql
        .raw(`create trigger ${name} ${event} begin ${reindex(ids).join('\n')} end`)
        .execute(db);
    }
    for (const statement of reindex('(select id from statements)'))
      await sql.raw(statement).execute(db);
  },

  async uninstall(db) {
    for (const [name] of TRIGGERS) await sql.raw(`drop trigger if exists ${name}`).execute(db);
    await sql`drop table if exists statement_search`.execute(db);
    await sql`drop table if exists statement_search_docs`.execute(db);
  },

  async search(db, { parts, filters, limit, offset }) {
    const match = toFts5Match(parts, (word) => word.replaceAll('ı', 'i').replaceAll('İ', 'i'));
    const where = sql`statement_search match ${match} and ${filterConditions(filters)}`;
    const from = sql`statement_search join statements s on s.id = statement_search.rowid`;
    const counted = await sql<{
      total: number;
    }>`select count(*) as total from ${from} where ${where}`.execute(db);
    const total = Number(counted.rows[0]?.total ?? 0);
    if (total === 0 || offset >= total) return { total, hits: [] };
    const rows = await sql<{
      id: number;
      slug: string;
      title: string;
      language: string;
      published_at: string;
      snippet: string | null;
    }>`select s.id, s.slug, s.title, s.language, s.published_at,
        snippet(statement_search, 2, char(1), char(2), '…', 32) as snippet
      from ${from} where ${where}
      order by bm25(statement_search, 10.0, 4.0, 1.0, 2.0), s.published_at desc, s.id desc
      limit ${limit} offset ${offset}`.execute(db);
    const hits: SearchHit[] = rows.rows.map((row) => ({
      id: row.id,
      slug: row.slug,
      title: row.title,
      language: row.language,
      publishedAt: toDate(row.published_at),
      snippet: row.snippet ?? '',
    }));
    return { total, hits };
  },
};
