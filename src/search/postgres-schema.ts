import { type Kysely, sql } from 'kysely';

/*
 * PostgreSQL: a side table `statement_search` (statement id, text search configuration, plain
 * text of the body, `search_vector`) with a GIN index, rebuilt by a trigger function in the same
 * transaction as every write to statements, their signatories or organisation names.
 * Each statement is indexed twice: with its language's stemming configuration and with
 * `simple`, so that both "evictions" → "eviction" and exact words match. The configurations
 * are copies of the built-in ones with the `unaccent` dictionary in front, so that ts_headline,
 * which reads the original text, highlights "Erdoğan" for "erdogan".
 */

// biome-ignore-start lint/suspicious/noExplicitAny: migrations run before the typed schema exists
type AnyDb = Kysely<any>;
// biome-ignore-end lint/suspicious/noExplicitAny: migrations run before the typed schema exists

/** Our configuration per language subtag; anything else is indexed with `simple` only. */
export const LANGUAGE_CONFIGS: Record<string, string> = {
  en: 'english',
  es: 'spanish',
  fr: 'french',
  de: 'german',
  tr: 'turkish',
  ar: 'arabic',
  el: 'greek',
};
export const CONFIGS = ['simple', ...new Set(Object.values(LANGUAGE_CONFIGS))];
export const configName = (base: string) => `communique_${base}`;

async function run(db: AnyDb, statements: string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

// ---- Migration 0005 (released: existing databases ran it, so it never changes) ----

const REFRESH_V1 = `create function communique_search_refresh(target integer) returns void
     language plpgsql as $$
     declare
       row record;
       cfg regconfig;
       simple_cfg regconfig := '${configName('simple')}';
       summary text;
       body text;
       names text;
     begin
       select title, summary_html, body_html, language into row from statements where id = target;
       if not found then
         delete from statement_search where statement_id = target;
         return;
       end if;
       cfg := communique_search_config(row.language);
       summary := communique_plain_text(row.summary_html);
       body := communique_plain_text(row.body_html);
       select coalesce(string_agg(o.name, ' · '), '') into names
         from statement_signatories ss join organisations o on o.id = ss.organisation_id
         where ss.statement_id = target;
       insert into statement_search (statement_id, config, document, search_vector)
       values (target, cfg, body,
         setweight(to_tsvector(cfg, unaccent(row.title)), 'A') ||
         setweight(to_tsvector(simple_cfg, unaccent(row.title)), 'A') ||
         setweight(to_tsvector(cfg, unaccent(summary)), 'B') ||
         setweight(to_tsvector(simple_cfg, unaccent(summary)), 'B') ||
         setweight(to_tsvector(cfg, unaccent(body)), 'C') ||
         setweight(to_tsvector(simple_cfg, unaccent(body)), 'C') ||
         setweight(to_tsvector(simple_cfg, unaccent(names)), 'D'))
       on conflict (statement_id) do update
         set config = excluded.config, document = excluded.document,
             search_vector = excluded.search_vector;
     end $$`;

const STATEMENTS_TRIGGER_V1 = `create trigger statements_search_refresh
     after insert or update of title, summary_html, body_html, language on statements
     for each row execute function communique_search_statements_trigger()`;

const VECTOR_INDEX_V1 =
  'create index statement_search_vector_idx on statement_search using gin (search_vector)';

const INSTALL_V1: string[] = [
  'create extension if not exists unaccent',
  ...CONFIGS.flatMap((base) => [
    `create text search configuration ${configName(base)} (copy = pg_catalog.${base})`,
    `alter text search configuration ${configName(base)}
       alter mapping for hword, hword_part, word with unaccent, ${base === 'simple' ? 'simple' : `${base}_stem`}`,
  ]),
  `create function communique_search_config(language text) returns regconfig
     language sql stable as $$
       select (case split_part(lower(language), '-', 1)
         ${Object.entries(LANGUAGE_CONFIGS)
           .map(([code, base]) => `when '${code}' then '${configName(base)}'`)
           .join(' ')}
         else '${configName('simple')}' end)::regconfig
     $$`,
  `create function communique_plain_text(html text) returns text
     language sql immutable as $$
       select replace(replace(replace(replace(replace(replace(
         regexp_replace(regexp_replace(coalesce(html, ''), '<[^>]*>', ' ', 'g'), '\\s+', ' ', 'g'),
         '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#39;', ''''), '&nbsp;', ' '), '&amp;', '&')
     $$`,
  `create table statement_search (
     statement_id integer primary key references statements(id) on delete cascade,
     config regconfig not null,
     document text not null,
     search_vector tsvector not null)`,
  VECTOR_INDEX_V1,
  REFRESH_V1,
  `create function communique_search_statements_trigger() returns trigger
     language plpgsql as $$
     begin
       perform communique_search_refresh(new.id);
       return null;
     end $$`,
  STATEMENTS_TRIGGER_V1,
  `create function communique_search_signatories_trigger() returns trigger
     language plpgsql as $$
     begin
       if tg_op = 'DELETE' then
         perform communique_search_refresh(old.statement_id);
       else
         perform communique_search_refresh(new.statement_id);
       end if;
       return null;
     end $$`,
  `create trigger statement_signatories_search_refresh
     after insert or delete on statement_signatories
     for each row execute function communique_search_signatories_trigger()`,
  `create function communique_search_organisations_trigger() returns trigger
     language plpgsql as $$
     begin
       perform communique_search_refresh(ss.statement_id)
         from statement_signatories ss where ss.organisation_id = new.id;
       return null;
     end $$`,
  `create trigger organisations_search_refresh
     after update of name on organisations
     for each row execute function communique_search_organisations_trigger()`,
  'select communique_search_refresh(id) from statements',
];

const UNINSTALL_V1: string[] = [
  'drop trigger if exists organisations_search_refresh on organisations',
  'drop trigger if exists statement_signatories_search_refresh on statement_signatories',
  'drop trigger if exists statements_search_refresh on statements',
  'drop table if exists statement_search',
  'drop function if exists communique_search_organisations_trigger()',
  'drop function if exists communique_search_signatories_trigger()',
  'drop function if exists communique_search_statements_trigger()',
  'drop function if exists communique_search_refresh(integer)',
  'drop function if exists communique_plain_text(text)',
  'drop function if exists communique_search_config(text)',
  ...CONFIGS.map((base) => `drop text search configuration if exists ${configName(base)}`),
];

export const installV1 = (db: AnyDb) => run(db, INSTALL_V1);
export const uninstallV1 = (db: AnyDb) => run(db, UNINSTALL_V1);

// ---- Migration 0007 ----

/*
 * The side table also carries status, language and date, so that filters and the newest-first
 * order read one row and one btree. `lexemes` is search_vector without positions, kept in the
 * row itself (storage main; everything else is toasted): checking a row against a common word
 * reads it in place, where detoasting search_vector cost ten times more. GIN indexes lexemes.
 * `pair_vector` holds every pair of neighbouring lexemes ("tenant river"; "paus 2 winter" when a
 * stop word sat between), from the statement's own configuration and from the signatories' names:
 * GIN finds a phrase without reading positions, where the lexemes alone make PostgreSQL re-check
 * every row holding the words. postgres-adapter.ts builds a query's pairs the same way.
 */
export const MAX_PAIR_BYTES = 40;
// Keeps pair_vector far below tsvector's 1 MB limit on very long statements.
const MAX_PAIRS = 16000;

const PAIRS_FUNCTION = `create function communique_search_pairs(blocks tsvector[]) returns tsvector
     language sql immutable parallel safe as $$
       select array_to_tsvector(coalesce(array_agg(pair), '{}')) from (
         select distinct case when next_pos - pos = 1 then lexeme || ' ' || next_lexeme
             else lexeme || ' ' || (next_pos - pos)::text || ' ' || next_lexeme end as pair
         from (select lexeme, pos,
                 lead(lexeme) over (partition by block order by pos) as next_lexeme,
                 lead(pos) over (partition by block order by pos) as next_pos
               from unnest(blocks) with ordinality b(vector, block),
                 lateral (select u.lexeme, unnest(u.positions) as pos from unnest(b.vector) u) t) n
         where next_lexeme is not null and pos < 16383
           and octet_length(lexeme) + octet_length(next_lexeme) <= ${MAX_PAIR_BYTES}
         limit ${MAX_PAIRS}) pairs
     $$`;

// ts_headline parses all the text it is given: give it 600 characters around the first word that
// starts like a lexeme of the query (a stem is nearly always the start of its word).
const EXCERPT_FUNCTION = `create function communique_search_excerpt(document text, lexemes text[])
     returns text language sql stable parallel safe as $$
       select case when start = 1 then left(document, 600)
         else regexp_replace(substr(document, start, 600), '^\\S*\\s+', '') end
       from (select greatest(1, coalesce(min(nullif(strpos(folded, ' ' || lexeme), 0)), 1) - 200) as start
             from (select ' ' || lower(unaccent(document)) as folded) f, unnest(lexemes) lexeme) s
     $$`;

const REFRESH_V2 = `create or replace function communique_search_refresh(target integer) returns void
     language plpgsql as $$
     declare
       row record;
       cfg regconfig;
       simple_cfg regconfig := '${configName('simple')}';
       summary text;
       body text;
       names text;
       title_vector tsvector;
       summary_vector tsvector;
       body_vector tsvector;
       names_vector tsvector;
       vector tsvector;
     begin
       select title, summary_html, body_html, language, status, published_at into row
         from statements where id = target;
       if not found then
         delete from statement_search where statement_id = target;
         return;
       end if;
       cfg := communique_search_config(row.language);
       summary := communique_plain_text(row.summary_html);
       body := communique_plain_text(row.body_html);
       select coalesce(string_agg(o.name, ' · '), '') into names
         from statement_signatories ss join organisations o on o.id = ss.organisation_id
         where ss.statement_id = target;
       title_vector := to_tsvector(cfg, unaccent(row.title));
       summary_vector := to_tsvector(cfg, unaccent(summary));
       body_vector := to_tsvector(cfg, unaccent(body));
       names_vector := to_tsvector(simple_cfg, unaccent(names));
       vector := setweight(title_vector, 'A') ||
         setweight(to_tsvector(simple_cfg, unaccent(row.title)), 'A') ||
         setweight(summary_vector, 'B') ||
         setweight(to_tsvector(simple_cfg, unaccent(summary)), 'B') ||
         setweight(body_vector, 'C') ||
         setweight(to_tsvector(simple_cfg, unaccent(body)), 'C') ||
         setweight(names_vector, 'D');
       insert into statement_search (statement_id, config, document, search_vector,
         status, language, published_at, lexemes, pair_vector)
       values (target, cfg, body, vector, row.status, row.language, row.published_at,
         strip(vector),
         communique_search_pairs(array[title_vector, summary_vector, body_vector, names_vector]))
       on conflict (statement_id) do update
         set config = excluded.config, document = excluded.document,
             search_vector = excluded.search_vector, status = excluded.status,
             language = excluded.language, published_at = excluded.published_at,
             lexemes = excluded.lexemes, pair_vector = excluded.pair_vector;
     end $$`;

const STATEMENTS_TRIGGER_V2 = `create trigger statements_search_refresh
     after insert or update of title, summary_html, body_html, language, status, published_at
     on statements for each row execute function communique_search_statements_trigger()`;

const INDEXES_V2 = [
  'create index statement_search_lexemes_idx on statement_search using gin (lexemes)',
  'create index statement_search_pairs_idx on statement_search using gin (pair_vector)',
  `create index statement_search_published_idx
     on statement_search (status, published_at desc, statement_id desc)`,
  `create index statement_search_language_idx
     on statement_search (status, language, published_at desc, statement_id desc)`,
];
const INDEX_NAMES_V2 = INDEXES_V2.map((statement) => statement.split(/\s+/)[2] ?? '');
// Index builds over every statement: a larger budget than the default 64 MB, for this transaction.
const BUILD_MEMORY = "set local maintenance_work_mem = '256MB'";

/** Migration 0007: filter columns, lexemes in the row and phrase pairs, filled for every statement. */
export async function installV2(db: AnyDb): Promise<void> {
  await run(db, [
    BUILD_MEMORY,
    `alter table statement_search add column status varchar(20),
       add column language varchar(35), add column published_at timestamptz,
       add column lexemes tsvector, add column pair_vector tsvector`,
    'alter table statement_search alter column lexemes set storage main',
    'drop index statement_search_vector_idx',
    PAIRS_FUNCTION,
    EXCERPT_FUNCTION,
    REFRESH_V2,
    'drop trigger statements_search_refresh on statements',
    STATEMENTS_TRIGGER_V2,
    'select communique_search_refresh(id) from statements',
    `alter table statement_search alter column status set not null,
       alter column language set not null, alter column published_at set not null,
       alter column lexemes set not null, alter column pair_vector set not null`,
    ...INDEXES_V2,
  ]);
}

export async function uninstallV2(db: AnyDb): Promise<void> {
  await run(db, [
    'drop trigger statements_search_refresh on statements',
    STATEMENTS_TRIGGER_V1,
    REFRESH_V1.replace('create function', 'create or replace function'),
    ...INDEX_NAMES_V2.map((name) => `drop index ${name}`),
    `alter table statement_search drop column status, drop column language,
       drop column published_at, drop column lexemes, drop column pair_vector`,
    'drop function communique_search_pairs(tsvector[])',
    'drop function communique_search_excerpt(text, text[])',
    BUILD_MEMORY,
    VECTOR_INDEX_V1,
  ]);
}

/** Bulk loads: the triggers stop, so inserts skip the index until `resumeIndexingV2`. */
export async function pauseIndexingV2(db: AnyDb): Promise<void> {
  await run(db, [
    'drop trigger if exists statements_search_refresh on statements',
    'alter table statement_signatories disable trigger statement_signatories_search_refresh',
  ]);
}

// ---- Migration 0014 ----

/*
 * A rebuild computes every row with `communique_search_row`, in parallel workers, where 0007
 * called `communique_search_refresh` once per statement in one process. The row is the one 0007's
 * refresh wrote, from functions that give the same results in less time:
 * - plain text: the whitespace regexp no longer replaces every single space by itself;
 * - pairs: a plpgsql loop over the sorted positions instead of window functions, falling back to
 *   0007's query for the rare statement with more distinct pairs than are kept.
 * Signatories' names are joined in signing order, which 0007 left to the plan.
 */
const PLAIN_TEXT_V3 = `create or replace function communique_plain_text(html text) returns text
     language sql immutable parallel safe as $$
       select replace(replace(replace(replace(replace(replace(
         regexp_replace(regexp_replace(coalesce(html, ''), '<[^>]*>', ' ', 'g'), '\\s{2,}|(?! )\\s', ' ', 'g'),
         '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#39;', ''''), '&nbsp;', ' '), '&amp;', '&')
     $$`;

const PAIRS_QUERY_V2 = PAIRS_FUNCTION.slice(
  PAIRS_FUNCTION.indexOf('select array_to_tsvector'),
  PAIRS_FUNCTION.lastIndexOf('$$'),
).trim();

const PAIRS_V3 = `create or replace function communique_search_pairs(blocks tsvector[]) returns tsvector
     language plpgsql immutable parallel safe as $$
     declare
       each_block tsvector;
       sorted_lexemes text[];
       sorted_positions integer[];
       found_pairs text[] := '{}';
       gap integer;
       result tsvector;
     begin
       foreach each_block in array blocks loop
         select array_agg(t.lexeme order by t.pos), array_agg(t.pos order by t.pos)
           into sorted_lexemes, sorted_positions
           from (select u.lexeme, unnest(u.positions)::integer as pos from unnest(each_block) u) t;
         for i in 1 .. coalesce(cardinality(sorted_lexemes), 0) - 1 loop
           if sorted_positions[i] < 16383
             and octet_length(sorted_lexemes[i]) + octet_length(sorted_lexemes[i + 1]) <= ${MAX_PAIR_BYTES} then
             gap := sorted_positions[i + 1] - sorted_positions[i];
             found_pairs := found_pairs || case when gap = 1 then sorted_lexemes[i] || ' ' || sorted_lexemes[i + 1]
               else sorted_lexemes[i] || ' ' || gap::text || ' ' || sorted_lexemes[i + 1] end;
           end if;
         end loop;
       end loop;
       result := array_to_tsvector(found_pairs);
       if length(result) <= ${MAX_PAIRS} then return result; end if;
       return (${PAIRS_QUERY_V2});
     end $$`;

const ROW_FUNCTION = `create function communique_search_row(s statements) returns statement_search
     language plpgsql stable parallel safe as $$
     declare
       cfg regconfig := communique_search_config(s.language);
       simple_cfg regconfig := '${configName('simple')}';
       summary text := communique_plain_text(s.summary_html);
       body text := communique_plain_text(s.body_html);
       names text;
       title_vector tsvector;
       summary_vector tsvector;
       body_vector tsvector;
       names_vector tsvector;
       vector tsvector;
     begin
       select coalesce(string_agg(o.name, ' · ' order by ss.position, ss.organisation_id), '')
         into names
         from statement_signatories ss join organisations o on o.id = ss.organisation_id
         where ss.statement_id = s.id;
       title_vector := to_tsvector(cfg, unaccent(s.title));
       summary_vector := to_tsvector(cfg, unaccent(summary));
       body_vector := to_tsvector(cfg, unaccent(body));
       names_vector := to_tsvector(simple_cfg, unaccent(names));
       vector := setweight(title_vector, 'A') ||
         setweight(to_tsvector(simple_cfg, unaccent(s.title)), 'A') ||
         setweight(summary_vector, 'B') ||
         setweight(to_tsvector(simple_cfg, unaccent(summary)), 'B') ||
         setweight(body_vector, 'C') ||
         setweight(to_tsvector(simple_cfg, unaccent(body)), 'C') ||
         setweight(names_vector, 'D');
       return row(s.id, cfg, body, vector, s.status, s.language, s.published_at, strip(vector),
         communique_search_pairs(array[title_vector, summary_vector, body_vector, names_vector]));
     end $$`;

const REFRESH_V3 = `create or replace function communique_search_refresh(target integer) returns void
     language plpgsql as $$
     begin
       insert into statement_search
         select r.* from statements s cross join lateral communique_search_row(s) r
         where s.id = target
       on conflict (statement_id) do update
         set config = excluded.config, document = excluded.document,
             search_vector = excluded.search_vector, status = excluded.status,
             language = excluded.language, published_at = excluded.published_at,
             lexemes = excluded.lexemes, pair_vector = excluded.pair_vector;
       if not found then
         delete from statement_search where statement_id = target;
       end if;
     end $$`;

/** Migration 0014: the same index, from functions that a rebuild runs in parallel workers. */
export async function installV3(db: AnyDb): Promise<void> {
  await run(db, [
    PLAIN_TEXT_V3,
    'alter function communique_search_config(text) parallel safe',
    PAIRS_V3,
    ROW_FUNCTION,
    REFRESH_V3,
  ]);
}

/** Puts 0007's functions back. */
export async function uninstallV3(db: AnyDb): Promise<void> {
  const plainTextV1 = INSTALL_V1.find((statement) => statement.includes('communique_plain_text('));
  if (plainTextV1 === undefined) throw new Error('0005 defines communique_plain_text');
  await run(db, [
    REFRESH_V2,
    'drop function communique_search_row(statements)',
    'drop function communique_search_pairs(tsvector[])',
    PAIRS_FUNCTION,
    'alter function communique_search_config(text) parallel unsafe',
    plainTextV1.replace('create function', 'create or replace function'),
    'alter function communique_plain_text(text) parallel unsafe',
  ]);
}

/**
 * Rebuilds the whole index with its indexes created afterwards, then restores the triggers.
 * The rows go first into a temporary table, which PostgreSQL fills from parallel workers (an
 * INSERT never runs in parallel), then into the index table in one pass.
 */
export async function resumeIndexingV3(db: AnyDb): Promise<void> {
  // Inside a caller's transaction (a restore) the rebuild is part of it; alone it gets its own.
  const rebuild = (trx: AnyDb) =>
    run(trx, [
      BUILD_MEMORY,
      // The planner cannot tell how costly each row is, so it would rather not start workers.
      'set local parallel_setup_cost = 0',
      'set local parallel_tuple_cost = 0',
      'truncate statement_search',
      ...INDEX_NAMES_V2.map((name) => `drop index ${name}`),
      `create temporary table statement_search_rebuild on commit drop as
         select r.* from statements s cross join lateral communique_search_row(s) r`,
      'insert into statement_search select * from statement_search_rebuild',
      'drop table statement_search_rebuild',
      ...INDEXES_V2,
      'alter table statement_signatories enable trigger statement_signatories_search_refresh',
      STATEMENTS_TRIGGER_V2,
    ]);
  await (db.isTransaction ? rebuild(db) : db.transaction().execute(rebuild));
}
