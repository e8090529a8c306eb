import { type RawBuilder, sql } from 'kysely';
import { toDate } from '../db/database.ts';
import { filterConditions } from './filters-sql.ts';
import type { QueryPart } from './query.ts';
import type { SearchAdapter, SearchHit } from './search-adapter.ts';

/*
 * PostgreSQL: a side table `statement_search` (statement id, text search configuration, plain
 * text of the body, `search_vector`) with a GIN index, rebuilt by a trigger function in the same
 * transaction as every write to statements, their signatories or organisation names.
 * Each statement is indexed twice: with its language's stemming configuration and with
 * `simple`, so that both "evictions" → "eviction" and exact words match. The configurations
 * are copies of the built-in ones with the `unaccent` dictionary in front, so that ts_headline,
 * which reads the original text, highlights "Erdoğan" for "erdogan".
 */

/** Our configuration per language subtag; anything else is indexed with `simple` only. */
const LANGUAGE_CONFIGS: Record<string, string> = {
  en: 'english',
  es: 'spanish',
  fr: 'french',
  de: 'german',
  tr: 'turkish',
  ar: 'arabic',
  el: 'greek',
};
const CONFIGS = ['simple', ...new Set(Object.values(LANGUAGE_CONFIGS))];
const configName = (base: string) => `communique_${base}`;

const INSTALL: string[] = [
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
  'create index statement_search_vector_idx on statement_search using gin (search_vector)',
  `create function communique_search_refresh(target integer) returns void
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
     end $$`,
  `create function communique_search_statements_trigger() returns trigger
     language plpgsql as $$
     begin
       perform communique_search_refresh(new.id);
       return null;
     end $$`,
  `create trigger statements_search_refresh
     after insert or update of title, summary_html, body_html, language on statements
     for each row execute function communique_search_statements_trigger()`,
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

const UNINSTALL: string[] = [
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

/**
 * websearch-like: every part must match (AND); a part matches as a stemmed phrase in any of our
 * language configurations or as the exact unaccented words. Input reaches SQL only as parameters.
 */
function tsquery(parts: QueryPart[]): RawBuilder<unknown> {
  return sql.join(
    parts.map((part) => {
      const text = part.words.join(' ');
      return sql`(${sql.join(
        CONFIGS.map(
          (base) =>
            sql`phraseto_tsquery(${sql.lit(configName(base))}::regconfig, unaccent(${text}))`,
        ),
        sql` || `,
      )})`;
    }),
    sql` && `,
  );
}

const HEADLINE_OPTIONS =
  'StartSel=\u0001, StopSel=\u0002, MaxWords=40, MinWords=20, MaxFragments=2, FragmentDelimiter=" … "';

export const postgresSearch: SearchAdapter = {
  engine: 'postgres',

  async install(db) {
    for (const statement of INSTALL) await sql.raw(statement).execute(db);
  },

  async uninstall(db) {
    for (const statement of UNINSTALL) await sql.raw(statement).execute(db);
  },

  async search(db, { parts, filters, limit, offset }) {
    const matches = sql`with q as (select ${tsquery(parts)} as query)
      select s.id, s.slug, s.title, s.language, s.published_at,
        ts_rank(ss.search_vector, q.query) as rank, ss.config, ss.document, q.query
      from statement_search ss join statements s on s.id = ss.statement_id cross join q
      where ss.search_vector @@ q.query and ${filterConditions(filters)}`;
    const counted = await sql<{
      total: number;
    }>`select count(*)::integer as total from (${matches}) m`.execute(db);
    const total = Number(counted.rows[0]?.total ?? 0);
    if (total === 0 || offset >= total) return { total, hits: [] };
    const rows = await sql<{
      id: number;
      slug: string;
      title: string;
      language: string;
      published_at: Date;
      snippet: string | null;
    }>`select m.id, m.slug, m.title, m.language, m.published_at,
        ts_headline(m.config, translate(m.document, '<>', chr(3) || chr(4)), m.query, ${HEADLINE_OPTIONS}) as snippet
      from (${matches} order by rank desc, s.published_at desc, s.id desc
        limit ${limit} offset ${offset}) m
      order by m.rank desc, m.published_at desc, m.id desc`.execute(db);
    const hits: SearchHit[] = rows.rows.map((row) => ({
      id: row.id,
      slug: row.slug,
      title: row.title,
      language: row.language,
      publishedAt: toDate(row.published_at),
      // ts_headline drops anything that looks like a tag, so < and > travel as \u0003 and \u0004.
      snippet: (row.snippet ?? '').replaceAll('\u0003', '<').replaceAll('\u0004', '>'),
    }));
    return { total, hits };
  },
};
