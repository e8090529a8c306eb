import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/database.ts';
import { toDate } from '../db/database.ts';
import { filterConditions } from './filters-sql.ts';
import {
  CONFIGS,
  configName,
  installV1,
  installV2,
  installV3,
  MAX_PAIR_BYTES,
  pauseIndexingV2,
  resumeIndexingV3,
  uninstallV1,
  uninstallV2,
  uninstallV3,
} from './postgres-schema.ts';
import type { QueryPart } from './query.ts';
import { COUNT_LIMIT, type SearchAdapter, type SearchHit } from './search-adapter.ts';

/** One part of the query as tsquery text for each column, built once before the search. */
interface CompiledPart {
  /** Alternatives matched on lexemes (single lexemes, or words whose pairs are too long). */
  vector: string[];
  /** Alternatives matched on pair_vector: all pairs of a phrase. */
  pairs: string[];
  /** Every alternative as a phrase, for re-checking word order and ranking. */
  phrase: string;
  /** Every lexeme (unquoted), for headlines: ts_headline takes far longer to place phrases than words. */
  lexemes: string[];
  /** Pairs alone do not prove the order of three or more words. */
  recheck: boolean;
}

const quote = (lexeme: string) => `'${lexeme.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
const any = (terms: string[]) => terms.map((term) => `(${term})`).join(' | ');
const all = (terms: string[]) => terms.map((term) => `(${term})`).join(' & ');

type Sequence = { lexeme: string; position: number }[];

// A part's lexemes depend only on its words and our configurations: remembered, up to a bound.
const analysedParts = new Map<string, Sequence[]>();
const ANALYSED_PARTS_KEPT = 2000;

/** The query's words as each configuration sees them: lexemes in order with their positions. */
async function analyse(db: Kysely<Database>, parts: QueryPart[]): Promise<Sequence[][]> {
  const texts = parts.map((part) => part.words.join(' '));
  const missing = [...new Set(texts.filter((text) => !analysedParts.has(text)))];
  if (missing.length > 0) {
    const result = await sql<{ part: number; config: number; lexeme: string; positions: number[] }>`
      select p.n::integer - 1 as part, c.n::integer - 1 as config, t.lexeme, t.positions
      from unnest(${missing}::text[]) with ordinality p(text, n)
        cross join unnest(${CONFIGS.map(configName)}::text[]) with ordinality c(name, n)
        cross join lateral unnest(to_tsvector(c.name::regconfig, unaccent(p.text))) t`.execute(db);
    const fresh = missing.map(() => CONFIGS.map((): Sequence => []));
    for (const row of result.rows)
      for (const position of row.positions)
        fresh[row.part]?.[row.config]?.push({ lexeme: row.lexeme, position });
    missing.forEach((text, index) => {
      const configs = fresh[index] ?? [];
      for (const sequence of configs) sequence.sort((a, b) => a.position - b.position);
      analysedParts.set(text, configs);
    });
    for (const oldest of analysedParts.keys()) {
      if (analysedParts.size <= ANALYSED_PARTS_KEPT) break;
      analysedParts.delete(oldest);
    }
  }
  return texts.map((text) => analysedParts.get(text) ?? []);
}

/**
 * websearch-like: every part must match (AND); a part matches as a stemmed phrase in any of our
 * language configurations or as the exact unaccented words. Pairs are made exactly as
 * communique_search_pairs makes them for statements (postgres-schema.ts).
 */
function compilePart(configs: Sequence[]): CompiledPart {
  const vector = new Set<string>();
  const pairs = new Set<string>();
  const phrases = new Set<string>();
  const lexemes = new Set<string>();
  let recheck = false;
  for (const sequence of configs) {
    const [first, ...rest] = sequence;
    if (first === undefined) continue;
    let phrase = quote(first.lexeme);
    const kept: string[] = [];
    let previous = first;
    for (const next of rest) {
      const gap = next.position - previous.position;
      phrase += ` ${gap === 1 ? '<->' : `<${gap}>`} ${quote(next.lexeme)}`;
      if (Buffer.byteLength(previous.lexeme) + Buffer.byteLength(next.lexeme) <= MAX_PAIR_BYTES)
        kept.push(
          quote(
            gap === 1
              ? `${previous.lexeme} ${next.lexeme}`
              : `${previous.lexeme} ${gap} ${next.lexeme}`,
          ),
        );
      previous = next;
    }
    phrases.add(phrase);
    for (const entry of sequence) lexemes.add(entry.lexeme);
    if (rest.length === 0) vector.add(phrase);
    else if (kept.length === 0)
      vector.add(sequence.map((entry) => quote(entry.lexeme)).join(' & '));
    else pairs.add(kept.join(' & '));
    if (rest.length >= 2 || kept.length < rest.length) recheck = true;
  }
  return {
    vector: [...vector],
    pairs: [...pairs],
    phrase: any([...phrases]),
    lexemes: [...lexemes],
    recheck,
  };
}

/** The match condition on `statement_search ss`, and the whole query for ranking and headlines. */
function matchCondition(compiled: CompiledPart[]): {
  where: RawBuilder<unknown>;
  query: string;
  headline: string;
  lexemes: string[];
} {
  const tsquery = (text: string) => sql`${text}::tsquery`;
  const conditions: RawBuilder<unknown>[] = [];
  const vectorOnly = compiled.filter((part) => part.pairs.length === 0);
  const pairsOnly = compiled.filter((part) => part.vector.length === 0);
  if (vectorOnly.length > 0)
    conditions.push(sql`ss.lexemes @@ ${tsquery(all(vectorOnly.map((part) => any(part.vector))))}`);
  if (pairsOnly.length > 0)
    conditions.push(
      sql`ss.pair_vector @@ ${tsquery(all(pairsOnly.map((part) => any(part.pairs))))}`,
    );
  for (const part of compiled)
    if (part.vector.length > 0 && part.pairs.length > 0)
      conditions.push(
        sql`(ss.lexemes @@ ${tsquery(any(part.vector))} or ss.pair_vector @@ ${tsquery(any(part.pairs))})`,
      );
  const rechecked = compiled.filter((part) => part.recheck);
  // ts_match_vq rather than @@, so that the planner never scans GIN for this re-check.
  if (rechecked.length > 0)
    conditions.push(
      sql`ts_match_vq(ss.search_vector, ${tsquery(all(rechecked.map((part) => part.phrase)))})`,
    );
  return {
    where: sql.join(conditions, sql` and `),
    query: all(compiled.map((part) => part.phrase)),
    headline: [...new Set(compiled.flatMap((part) => part.lexemes.map(quote)))].join(' | '),
    lexemes: [...new Set(compiled.flatMap((part) => part.lexemes))],
  };
}

const HEADLINE_OPTIONS =
  'StartSel=\u0001, StopSel=\u0002, MaxWords=40, MinWords=20, MaxFragments=2, FragmentDelimiter=" … "';

interface HitRow {
  id: number;
  slug: string;
  title: string;
  language: string;
  published_at: Date;
  snippet: string | null;
}

const toHit = (row: HitRow): SearchHit => ({
  id: row.id,
  slug: row.slug,
  title: row.title,
  language: row.language,
  publishedAt: toDate(row.published_at),
  // ts_headline drops anything that looks like a tag, so < and > travel as \u0003 and \u0004.
  snippet: (row.snippet ?? '').replaceAll('\u0003', '<').replaceAll('\u0004', '>'),
});

export const postgresSearch: SearchAdapter = {
  engine: 'postgres',
  install: installV1,
  uninstall: uninstallV1,
  installV2,
  uninstallV2,
  installV3,
  uninstallV3,
  pauseIndexing: pauseIndexingV2,
  resumeIndexing: resumeIndexingV3,

  async search(db, { parts, filters, limit, offset, countLimit = COUNT_LIMIT }) {
    const compiled = (await analyse(db, parts))
      .map(compilePart)
      .filter((part) => part.vector.length > 0 || part.pairs.length > 0);
    if (compiled.length === 0) return { total: 0, totalIsCapped: false, hits: [] };
    const { where, query, headline, lexemes } = matchCondition(compiled);

    // One statement: newest first, stopping one past the count limit, which both counts and
    // orders; then, only when that was every match, ranked; then the page's headlines.
    const rows = await sql<{ total: number } & (HitRow | { id: null })>`
      with matched as materialized (
        select ss.statement_id, ss.published_at,
          row_number() over (order by ss.published_at desc, ss.statement_id desc)::integer as newest
        from statement_search ss
        where ${where} and ${filterConditions('ss', filters)}
        order by ss.published_at desc, ss.statement_id desc
        limit ${countLimit + 1}),
      counted as (select count(*)::integer as total from matched),
      page as (
        select statement_id, newest as position from matched
        where (select total from counted) > ${countLimit}
          and newest > ${offset} and newest <= ${Math.min(offset + limit, countLimit)}
        union all
        select statement_id, position from (
          select m.statement_id, row_number() over (
              order by ts_rank(r.search_vector, ${query}::tsquery) desc,
                m.published_at desc, m.statement_id desc)::integer as position
          from matched m join statement_search r on r.statement_id = m.statement_id
          where (select total from counted) <= ${countLimit}) ranked
        where position > ${offset} and position <= ${offset + limit})
      select counted.total, hit.* from counted left join (
        select s.id, s.slug, s.title, s.language, s.published_at, page.position,
          ts_headline(ss.config,
            translate(communique_search_excerpt(ss.document, ${lexemes}::text[]), '<>', chr(3) || chr(4)),
            ${headline}::tsquery, ${HEADLINE_OPTIONS}) as snippet
        from page
          join statement_search ss on ss.statement_id = page.statement_id
          join statements s on s.id = page.statement_id) hit on true
      order by hit.position`.execute(db);
    const matched = rows.rows[0]?.total ?? 0;
    const totalIsCapped = matched > countLimit;
    const total = Math.min(matched, countLimit);
    const hits = rows.rows.flatMap((row) => (row.id === null ? [] : [toHit(row)]));
    return { total, totalIsCapped, hits };
  },
};
