import { type Kysely, sql } from 'kysely';
import { sqlitePlainText } from './sqlite-plain-text.ts';

/*
 * SQLite: an FTS5 table with external content. `statement_search_docs` holds the plain text of
 * each statement (tags stripped from the rendered HTML, entities decoded, signatories' names);
 * `statement_search` indexes it with unicode61 (diacritics removed). unicode61 does not fold the
 * Turkish dotless ı, so the indexed text (and the query) map ı/İ to i; the docs keep the original
 * spelling for snippets, and token positions are unchanged by the mapping.
 * Triggers on statements, statement_signatories and organisations rebuild a statement's row in
 * the same transaction as the write.
 */

// biome-ignore-start lint/suspicious/noExplicitAny: migrations run before the typed schema exists
type AnyDb = Kysely<any>;
// biome-ignore-end lint/suspicious/noExplicitAny: migrations run before the typed schema exists

export const fold = (column: string) => `replace(replace(${column}, 'ı', 'i'), 'İ', 'i')`;

/** Visible text of rendered HTML: tags removed one by one by a recursive CTE, entities decoded. */
export function plain(html: string): string {
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
const NAMES = (statementId: string) =>
  `coalesce((select group_concat(o.name, ' · ') from statement_signatories ss
    join organisations o on o.id = ss.organisation_id where ss.statement_id = ${statementId}), '')`;

async function run(db: AnyDb, statements: string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

// ---- Migration 0005 (released: existing databases ran it, so it never changes) ----

/** Statements to rebuild the index for, given as `id in <ids>`. */
function reindexV1(ids: string): string[] {
  return [
    `insert into statement_search(statement_search, rowid, ${COLUMNS.join(', ')})
      select 'delete', id, ${COLUMNS.map(fold).join(', ')} from statement_search_docs where id in ${ids};`,
    `delete from statement_search_docs where id in ${ids};`,
    `insert into statement_search_docs(id, ${COLUMNS.join(', ')})
      select s.id, s.title, ${plain("coalesce(s.summary_html, '')")}, ${plain('s.body_html')},
        ${NAMES('s.id')}
      from statements s where s.id in ${ids};`,
    `insert into statement_search(rowid, ${COLUMNS.join(', ')})
      select id, ${COLUMNS.map(fold).join(', ')} from statement_search_docs where id in ${ids};`,
  ];
}

const TRIGGERS_V1: [name: string, event: string, ids: string][] = [
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

export async function installV1(db: AnyDb): Promise<void> {
  await sql`create table statement_search_docs (
    id integer primary key, title text not null, summary text not null,
    body text not null, organisations text not null)`.execute(db);
  await sql`create virtual table statement_search using fts5(
    title, summary, body, organisations,
    content = 'statement_search_docs', content_rowid = 'id',
    tokenize = "unicode61 remove_diacritics 2")`.execute(db);
  for (const [name, event, ids] of TRIGGERS_V1) {
    await sql
      .raw(`create trigger ${name} ${event} begin ${reindexV1(ids).join('\n')} end`)
      .execute(db);
  }
  await run(db, reindexV1('(select id from statements)'));
}

export async function uninstallV1(db: AnyDb): Promise<void> {
  for (const [name] of TRIGGERS_V1) await sql.raw(`drop trigger if exists ${name}`).execute(db);
  await sql`drop table if exists statement_search`.execute(db);
  await sql`drop table if exists statement_search_docs`.execute(db);
}

// ---- Migration 0007 ----

/*
 * The FTS rowid is a key that sorts like (published_at, id): published second × 2^31 + id, so
 * FTS5 walks matches newest first and a broad search stops after the rows it needs.
 * Keys exceed 2^53: they stay in SQL, and JavaScript only ever reads statement ids.
 * `statement_search_filters` is the narrow row per statement (key, status, language, date) that
 * every match is checked against; the docs rows carry the whole text and are only read for snippets.
 * The `facets` column indexes language, signatories and their countries as tokens led by a
 * private-use character, which no visitor's query can hold: FTS5 then skips to the statements of
 * a rare language instead of checking each match's row.
 */
export const FACET_MARK = '\uE000';
const facetMark = 'char(57344)';
const facetCode = (column: string) => `replace(lower(${column}), '-', '')`;
const FACETS = (statement: string) =>
  `${facetMark} || 'l' || ${facetCode(`${statement}.language`)} ||
    coalesce((select group_concat(' ' || ${facetMark} || 'o' || o.id || ' ' || ${facetMark} || 'c' || ${facetCode('o.country')}, '')
      from statement_signatories ss join organisations o on o.id = ss.organisation_id
      where ss.statement_id = ${statement}.id), '')`;
const COLUMNS_V2 = [...COLUMNS, 'facets'];
export const KEY_SCALE = 2147483648;
const keyOf = (publishedAt: string, id: string) =>
  `(coalesce(unixepoch(${publishedAt}), 0) * ${KEY_SCALE} + ${id})`;

function reindexV2(ids: string): string[] {
  const keys = `(select key from statement_search_filters where statement_id in ${ids})`;
  return [
    `insert into statement_search(statement_search, rowid, ${COLUMNS_V2.join(', ')})
      select 'delete', key, ${COLUMNS_V2.map(fold).join(', ')} from statement_search_docs where key in ${keys};`,
    `delete from statement_search_docs where key in ${keys};`,
    `delete from statement_search_filters where statement_id in ${ids};`,
    `insert into statement_search_filters(key, statement_id, status, language, published_at)
      select ${keyOf('s.published_at', 's.id')}, s.id, s.status, s.language, s.published_at
      from statements s where s.id in ${ids};`,
    `insert into statement_search_docs(key, ${COLUMNS_V2.join(', ')})
      select f.key, s.title, ${plain("coalesce(s.summary_html, '')")}, ${plain('s.body_html')},
        ${NAMES('s.id')}, ${FACETS('s')}
      from statements s join statement_search_filters f on f.statement_id = s.id where s.id in ${ids};`,
    `insert into statement_search(rowid, ${COLUMNS_V2.join(', ')})
      select key, ${COLUMNS_V2.map(fold).join(', ')} from statement_search_docs where key in ${keys};`,
  ];
}

const EVENTS_V2: Record<string, string> = {
  statements_search_update:
    'after update of title, summary_html, body_html, language, status, published_at on statements',
  organisations_search_update: 'after update of name, country on organisations',
};
const TRIGGERS_V2: [name: string, event: string, ids: string][] = TRIGGERS_V1.map(
  ([name, event, ids]) => [name, EVENTS_V2[name] ?? event, ids],
);

async function createTriggersV2(db: AnyDb): Promise<void> {
  for (const [name, event, ids] of TRIGGERS_V2) {
    await sql
      .raw(`create trigger ${name} ${event} begin ${reindexV2(ids).join('\n')} end`)
      .execute(db);
  }
}

async function dropTriggers(db: AnyDb): Promise<void> {
  for (const [name] of TRIGGERS_V2) await sql.raw(`drop trigger if exists ${name}`).execute(db);
}

/** Fills the (empty) index from every statement, set-wise. */
async function fillV2(db: AnyDb): Promise<void> {
  await run(db, [
    `insert into statement_search_filters(key, statement_id, status, language, published_at)
      select ${keyOf('s.published_at', 's.id')}, s.id, s.status, s.language, s.published_at from statements s`,
    `insert into statement_search_docs(key, ${COLUMNS_V2.join(', ')})
      select f.key, s.title, ${plain("coalesce(s.summary_html, '')")}, ${plain('s.body_html')},
        ${NAMES('s.id')}, ${FACETS('s')}
      from statements s join statement_search_filters f on f.statement_id = s.id`,
    `insert into statement_search(rowid, ${COLUMNS_V2.join(', ')})
      select key, ${COLUMNS_V2.map(fold).join(', ')} from statement_search_docs`,
  ]);
}

/** Migration 0007: replaces the 0005 index with the date-keyed one and its narrow filter rows. */
export async function installV2(db: AnyDb): Promise<void> {
  await uninstallV1(db);
  await sql`create table statement_search_filters (
    key integer primary key, statement_id integer not null unique, status text not null,
    language text not null, published_at text not null)`.execute(db);
  await sql`create table statement_search_docs (
    key integer primary key, title text not null, summary text not null,
    body text not null, organisations text not null, facets text not null)`.execute(db);
  await sql`create virtual table statement_search using fts5(
    title, summary, body, organisations, facets,
    content = 'statement_search_docs', content_rowid = 'key',
    tokenize = "unicode61 remove_diacritics 2")`.execute(db);
  await createTriggersV2(db);
  await fillV2(db);
}

/** Undoes 0007: the 0005 index, rebuilt. */
export async function uninstallV2(db: AnyDb): Promise<void> {
  await dropTriggers(db);
  await sql`drop table if exists statement_search`.execute(db);
  await sql`drop table if exists statement_search_docs`.execute(db);
  await sql`drop table if exists statement_search_filters`.execute(db);
  await installV1(db);
}

/** Bulk loads: the triggers go, so inserts skip the index until `resumeIndexingV2`. */
export async function pauseIndexingV2(db: AnyDb): Promise<void> {
  await dropTriggers(db);
}

// Statements read, stripped and written per round trip.
const REBUILD_BATCH = 500;

/**
 * Fills the (empty) index from every statement as `fillV2` does, with the tags stripped in
 * JavaScript (`sqlitePlainText`): the recursive CTE took 90% of a rebuild. Docs rows go in key
 * order, so each batch appends to the end of their B-tree.
 */
async function rebuildV2(db: AnyDb): Promise<void> {
  await run(db, [
    `insert into statement_search(statement_search) values ('delete-all')`,
    'delete from statement_search_docs',
    'delete from statement_search_filters',
    `insert into statement_search_filters(key, statement_id, status, language, published_at)
      select ${keyOf('s.published_at', 's.id')}, s.id, s.status, s.language, s.published_at from statements s`,
  ]);
  let lastId: number | undefined;
  for (;;) {
    // Keys exceed 2^53, so the batch after `lastId` is found by its key in SQL.
    const after =
      lastId === undefined
        ? sql``
        : sql`where f.key > (select key from statement_search_filters where statement_id = ${lastId})`;
    const { rows } = await sql<{ id: number; summary_html: string | null; body_html: string }>`
      select s.id, s.summary_html, s.body_html
      from statement_search_filters f join statements s on s.id = f.statement_id
      ${after} order by f.key limit ${REBUILD_BATCH}`.execute(db);
    const last = rows.at(-1);
    if (last === undefined) break;
    const stripped = rows.map(
      (row) =>
        sql`(${row.id}, ${sqlitePlainText(row.summary_html ?? '')}, ${sqlitePlainText(row.body_html)})`,
    );
    await sql`insert into statement_search_docs(key, ${sql.raw(COLUMNS_V2.join(', '))})
      select f.key, s.title, v.column2, v.column3, ${sql.raw(NAMES('s.id'))}, ${sql.raw(FACETS('s'))}
      from (values ${sql.join(stripped)}) v
        join statement_search_filters f on f.statement_id = v.column1
        join statements s on s.id = v.column1
      order by f.key`.execute(db);
    lastId = last.id;
  }
  await sql
    .raw(`insert into statement_search(rowid, ${COLUMNS_V2.join(', ')})
      select key, ${COLUMNS_V2.map(fold).join(', ')} from statement_search_docs`)
    .execute(db);
  await createTriggersV2(db);
}

/** Rebuilds the whole index and restores the triggers, inside the caller's transaction if any. */
export async function resumeIndexingV2(db: AnyDb): Promise<void> {
  await (db.isTransaction ? rebuildV2(db) : db.transaction().execute(rebuildV2));
}
