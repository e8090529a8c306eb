import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { loadConfig, parseDatabaseUrl } from '../src/config.ts';
import { type DatabaseHandle, openDatabase } from '../src/db/connect.ts';
import type { Database } from '../src/db/database.ts';
import { NodeSqliteDialect } from '../src/db/node-sqlite-dialect.ts';
import { createLogger } from '../src/http/logger.ts';
import { parseQuery, type SearchFilters, searchAdapter } from '../src/search/index.ts';
import { periodBounds } from '../src/site/archive-periods.ts';
import { createBenchDatabase } from './bench-database.ts';
import { percentile } from './cold-render.ts';
import {
  NAMED_WORDS,
  RARE_WORDS,
  type SeedProgress,
  type SeedResult,
  seedEngine,
  WORDS,
} from './seed.ts';
import { mulberry32 } from './seed-text.ts';

/** Statements seeded for the search measurements unless --statements says otherwise. */
export const SEARCH_STATEMENTS = 100_000;
export const SEARCH_QUERIES = 200;
export const SEARCH_WARMUP = 20;
export const TARGET_SEARCH_P95_MS = 20;
/**
 * Wall-clock budget per measured part (adapter, route) and engine: queries still unmeasured when
 * it runs out are skipped (the order is shuffled, so the measured ones are a fair sample) and the
 * report says how many ran. Keeps a run with a pathological engine to minutes, not hours.
 */
const PART_BUDGET_MS = Number(process.env.BENCH_SEARCH_BUDGET_S ?? 60) * 1000;
const WARMUP_BUDGET_MS = 10_000;

// The seeded site's timezone (bench/seed.ts), which the route uses for year filters.
const SITE_TIMEZONE = 'Europe/London';
const FUNCTION_WORDS = new Set(
  'the a of and to in for with on by from at as that which who their our we they'.split(' '),
);

export type QueryKind =
  | 'common word'
  | 'rare word'
  | 'two words'
  | 'quoted phrase'
  | 'no diacritics'
  | 'no match'
  | 'language filter'
  | 'year filter';

export interface BenchQuery {
  kind: QueryKind;
  q: string;
  language?: string;
  year?: number;
}

export interface SearchBenchDeps {
  log(line: string): void;
  seedProgress(): SeedProgress;
  table(headers: string[], rows: string[][]): string;
}

interface Timing {
  query: BenchQuery;
  ms: number;
  /** Matches as the page counts them: "1000+" past the count limit. */
  hits: string;
  total: number;
}

interface EngineResult {
  engine: 'sqlite' | 'postgres';
  seed: SeedResult;
  adapter: Timing[];
  route: number[];
  plan: string[];
}

const stripDiacritics = (word: string) =>
  word.replaceAll('ı', 'i').replaceAll('İ', 'I').normalize('NFD').replace(/\p{M}/gu, '');

/**
 * `count` queries in a fixed mix, drawn from the seeded vocabulary (common words, the rare and
 * accented names that `rareWords` seeding mixes in), shuffled so that the kinds interleave.
 */
export function buildQueries(seed: number, count: number, newestYear: number): BenchQuery[] {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => {
    const item = items[Math.floor(random() * items.length)];
    if (item === undefined) throw new Error('cannot pick from an empty list');
    return item;
  };
  const content = WORDS.filter((word) => !FUNCTION_WORDS.has(word));
  const lower = (word: string) => word.toLowerCase();
  const makers: [QueryKind, number, () => Omit<BenchQuery, 'kind'>][] = [
    ['common word', 40, () => ({ q: pick(content) })],
    ['rare word', 30, () => ({ q: lower(pick(RARE_WORDS)) })],
    ['two words', 30, () => ({ q: `${pick(content)} ${pick(content)}` })],
    [
      'quoted phrase',
      20,
      () => ({
        q:
          random() < 0.5
            ? `"${pick(content)} ${pick(WORDS)}"`
            : `"${pick(content)} ${pick(WORDS)} ${pick(content)}"`,
      }),
    ],
    [
      'no diacritics',
      25,
      () => ({
        q: lower(stripDiacritics(random() < 0.6 ? pick(NAMED_WORDS) : pick(RARE_WORDS))),
      }),
    ],
    ['no match', 15, () => ({ q: `${pick(content)}${pick(['xq', 'zv', 'qj', 'vvk'])}` })],
    [
      'language filter',
      20,
      () => ({ q: pick(content), language: pick(['en', 'es', 'fr', 'ar', 'tr']) }),
    ],
    [
      'year filter',
      20,
      () => ({
        q: random() < 0.5 ? pick(content) : `${pick(content)} ${pick(content)}`,
        year: newestYear - Math.floor(random() * 10),
      }),
    ],
  ];
  const total = makers.reduce((sum, [, share]) => sum + share, 0);
  const queries: BenchQuery[] = [];
  for (const [kind, share, make] of makers) {
    const wanted = Math.round((share / total) * count);
    for (let index = 0; index < wanted; index++) queries.push({ kind, ...make() });
  }
  while (queries.length > count) queries.pop();
  while (queries.length < count) queries.push({ kind: 'common word', q: pick(content) });
  for (let index = queries.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    const a = queries[index];
    const b = queries[other];
    if (a !== undefined && b !== undefined) {
      queries[index] = b;
      queries[other] = a;
    }
  }
  return queries;
}

function filtersOf(query: BenchQuery): SearchFilters {
  const filters: SearchFilters = {};
  if (query.language !== undefined) filters.language = query.language;
  if (query.year !== undefined) {
    const { from, to } = periodBounds(SITE_TIMEZONE, query.year, null);
    filters.publishedFrom = from;
    filters.publishedTo = to;
  }
  return filters;
}

function routeUrl(query: BenchQuery): string {
  const params = new URLSearchParams({ q: query.q });
  if (query.language !== undefined) params.set('language', query.language);
  if (query.year !== undefined) params.set('year', String(query.year));
  return `/search?${params.toString()}`;
}

function partsOf(query: BenchQuery) {
  const parsed = parseQuery(query.q);
  if (parsed.kind !== 'terms') throw new Error(`query ${JSON.stringify(query.q)} parsed as empty`);
  return parsed.parts;
}

async function timeAdapter(
  db: Kysely<Database>,
  handle: DatabaseHandle,
  query: BenchQuery,
): Promise<Timing> {
  const adapter = searchAdapter(handle.engine);
  const parts = partsOf(query);
  const started = performance.now();
  const page = await adapter.search(db, { parts, filters: filtersOf(query), limit: 10, offset: 0 });
  const elapsed = performance.now() - started;
  return {
    query,
    ms: elapsed,
    total: page.total,
    hits: `${page.total}${page.totalIsCapped ? '+' : ''}`,
  };
}

/** Adapter and route timings on one seeded database. */
async function measureEngine(
  databaseUrl: string,
  warmup: BenchQuery[],
  queries: BenchQuery[],
): Promise<{ adapter: Timing[]; route: number[] }> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    PORT: '0',
    COMMUNIQUE_DEMO: '0',
    LOG_LEVEL: 'warn',
  });
  const handle = await openDatabase(config.database);
  const app = await buildApp(config, handle, createLogger({ ...config, logLevel: 'warn' }));
  try {
    const within = async (
      items: BenchQuery[],
      budgetMs: number,
      run: (query: BenchQuery) => Promise<void>,
    ) => {
      const started = performance.now();
      for (const query of items) {
        if (performance.now() - started > budgetMs) break;
        await run(query);
      }
    };
    await within(warmup, WARMUP_BUDGET_MS, async (query) => {
      await timeAdapter(handle.db, handle, query);
    });
    const adapter: Timing[] = [];
    await within(queries, PART_BUDGET_MS, async (query) => {
      adapter.push(await timeAdapter(handle.db, handle, query));
    });

    const inject = async (query: BenchQuery): Promise<number> => {
      app.cache.clear();
      const url = routeUrl(query);
      const started = performance.now();
      const response = await app.server.inject({ method: 'GET', url });
      const elapsed = performance.now() - started;
      if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}`);
      return elapsed;
    };
    await within(warmup, WARMUP_BUDGET_MS, async (query) => {
      await inject(query);
    });
    const route: number[] = [];
    await within(queries, PART_BUDGET_MS, async (query) => {
      route.push(await inject(query));
    });
    return { adapter, route };
  } finally {
    await app.close();
    await handle.close();
  }
}

/** The plans of the SQL the adapter runs for `query`, captured through Kysely's query log. */
async function explain(
  engine: 'sqlite' | 'postgres',
  databaseUrl: string,
  query: BenchQuery,
): Promise<string[]> {
  const captured: CompiledQuery[] = [];
  const log = (event: { level: string; query: CompiledQuery }) => {
    if (event.level === 'query') captured.push(event.query);
  };
  const config = parseDatabaseUrl(databaseUrl);
  const pool =
    config.engine === 'postgres' ? new pg.Pool({ connectionString: config.url, max: 1 }) : null;
  const db = new Kysely<Database>({
    dialect:
      config.engine === 'sqlite'
        ? new NodeSqliteDialect(config.file)
        : new PostgresDialect({ pool: pool ?? new pg.Pool() }),
    log,
  });
  const handle = { engine } as DatabaseHandle;
  try {
    await timeAdapter(db, handle, query);
    const lines: string[] = [];
    // A copy: the EXPLAIN queries below are logged into `captured` too.
    for (const compiled of [...captured]) {
      lines.push(`SQL: ${compiled.sql.replace(/\s+/g, ' ').trim()}`);
      lines.push(`parameters: ${JSON.stringify(compiled.parameters)}`);
      if (engine === 'sqlite') {
        const result = await db.executeQuery<{ id: number; parent: number; detail: string }>(
          CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]),
        );
        const depth = new Map<number, number>([[0, 0]]);
        for (const row of result.rows) {
          const level = (depth.get(row.parent) ?? 0) + 1;
          depth.set(row.id, level);
          lines.push(`${'  '.repeat(level)}${row.detail}`);
        }
      } else {
        const result = await db.executeQuery<{ 'QUERY PLAN': string }>(
          CompiledQuery.raw(`explain (analyze, buffers) ${compiled.sql}`, [...compiled.parameters]),
        );
        for (const row of result.rows) lines.push(`  ${row['QUERY PLAN']}`);
      }
    }
    return lines;
  } finally {
    await db.destroy();
  }
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : '-');

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

function report(results: EngineResult[], queries: BenchQuery[], deps: SearchBenchDeps): string {
  const rows: string[][] = [];
  for (const result of results) {
    const parts: [string, number[]][] = [
      ['route (inject)', result.route],
      ['database (adapter)', result.adapter.map((timing) => timing.ms)],
    ];
    for (const [part, values] of parts) {
      const figures = stats(values);
      rows.push([
        result.engine,
        part,
        values.length < queries.length
          ? `${values.length}/${queries.length}*`
          : String(values.length),
        ms(figures.p50),
        ms(figures.p95),
        ms(figures.p99),
        ms(figures.max),
        `${figures.p95 < TARGET_SEARCH_P95_MS ? 'PASS' : 'MISS'}`,
      ]);
    }
  }
  const kinds = [...new Set(queries.map((query) => query.kind))];
  const kindRows = kinds.map((kind) => {
    const row = [kind, String(queries.filter((query) => query.kind === kind).length)];
    // n is the number generated; p50/max are over those measured within the budget.
    for (const result of results) {
      const timings = result.adapter.filter((timing) => timing.query.kind === kind);
      const figures = stats(timings.map((timing) => timing.ms));
      const hits = [...timings].sort((a, b) => a.total - b.total).map((timing) => timing.hits);
      row.push(
        ms(figures.p50),
        ms(figures.max),
        hits[Math.max(0, Math.ceil(hits.length / 2) - 1)] ?? '-',
      );
    }
    return row;
  });
  const slowest = results.map((result) => {
    const top = [...result.adapter].sort((a, b) => b.ms - a.ms).slice(0, 5);
    return `${result.engine}: ${top
      .map(
        (timing) =>
          `${JSON.stringify(timing.query.q)}${timing.query.language ? ` [language=${timing.query.language}]` : ''}${timing.query.year ? ` [year=${timing.query.year}]` : ''} ${ms(timing.ms)} ms (${timing.hits} hits)`,
      )
      .join('; ')}`;
  });
  return [
    '',
    `Search: ${SEARCH_QUERIES} queries after ${SEARCH_WARMUP} warm-up queries, target p95 < ${TARGET_SEARCH_P95_MS} ms`,
    ...results.map(
      (result) =>
        `Seeded ${result.engine}: ${result.seed.statements} statements, ${result.seed.signatories} signatures in ${(result.seed.milliseconds / 1000).toFixed(1)} s (search index built in ${((result.seed.indexMilliseconds ?? 0) / 1000).toFixed(1)} s of it)`,
    ),
    '',
    deps.table(
      [
        'engine',
        'part',
        'queries',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'max ms',
        `p95 < ${TARGET_SEARCH_P95_MS} ms`,
      ],
      rows,
    ),
    ...(results.some(
      (result) => result.route.length < queries.length || result.adapter.length < queries.length,
    )
      ? [
          `* the ${PART_BUDGET_MS / 1000} s budget per part (BENCH_SEARCH_BUDGET_S) ran out: percentiles are over the queries measured (shuffled order, so a fair sample)`,
        ]
      : []),
    '',
    'Database part by kind of query (adapter.search: every query one search makes)',
    deps.table(
      [
        'kind',
        'n',
        ...results.flatMap((result) => [
          `${result.engine} p50`,
          `${result.engine} max`,
          `${result.engine} hits p50`,
        ]),
      ],
      kindRows,
    ),
    '',
    'Slowest database parts:',
    ...slowest,
    '',
    ...results.flatMap((result) => [
      `Plan of the slowest query on ${result.engine}:`,
      ...result.plan,
      '',
    ]),
  ].join('\n');
}

/**
 * Seeds `statements` statements into a temporary SQLite file and a fresh PostgreSQL database,
 * and times 200 searches against each, through the adapter and through the /search route.
 */
export async function runSearchBench(statements: number, deps: SearchBenchDeps): Promise<void> {
  const started = performance.now();
  const tempDir = mkdtempSync(path.join(tmpdir(), 'communique-search-bench-'));
  let postgres: { url: string; drop(): Promise<void> } | undefined;
  const removeTemp = () => rmSync(tempDir, { recursive: true, force: true });
  process.on('exit', removeTemp);
  const onSignal = (signal: NodeJS.Signals) => {
    deps.log(`\n${signal} received: dropping the bench database and removing the temporary files`);
    const drop = postgres?.drop() ?? Promise.resolve();
    const timeout = new Promise((resolve) => setTimeout(resolve, 5000).unref());
    void Promise.race([drop, timeout])
      .catch((error: unknown) => deps.log(`Could not drop the bench database: ${String(error)}`))
      .finally(() => {
        removeTemp();
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const newestYear = new Date().getUTCFullYear();
    const queries = buildQueries(20240601, SEARCH_QUERIES, newestYear);
    const warmup = buildQueries(99, SEARCH_WARMUP, newestYear);
    const results: EngineResult[] = [];

    postgres = await createBenchDatabase('search');
    deps.log(`Created PostgreSQL database ${new URL(postgres.url).pathname.slice(1)}`);
    const engines: ['sqlite' | 'postgres', string][] = [
      ['sqlite', `sqlite:${path.join(tempDir, 'search.db')}`],
      ['postgres', postgres.url],
    ];
    for (const [engine, url] of engines) {
      deps.log(`Seeding ${statements} statements into ${engine}`);
      const seed = await seedEngine(url, statements, deps.seedProgress(), { rareWords: true });
      deps.log(
        `Seeded ${engine} in ${(seed.milliseconds / 1000).toFixed(1)} s (search index ${((seed.indexMilliseconds ?? 0) / 1000).toFixed(1)} s)`,
      );
      deps.log(`Measuring ${queries.length} searches on ${engine}`);
      const measured = await measureEngine(url, warmup, queries);
      const slowest = [...measured.adapter].sort((a, b) => b.ms - a.ms)[0];
      const plan = slowest
        ? [
            `query ${JSON.stringify(slowest.query.q)} (${slowest.query.kind}, ${ms(slowest.ms)} ms, ${slowest.hits} hits)`,
            ...(await explain(engine, url, slowest.query)),
          ]
        : [];
      results.push({ engine, seed, ...measured, plan });
    }
    process.stdout.write(`${report(results, queries, deps)}\n`);
    deps.log(`Total time ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    try {
      await postgres?.drop();
    } finally {
      removeTemp();
      process.off('exit', removeTemp);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
