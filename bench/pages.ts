import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import type { Engine } from '../src/db/dialect.ts';
import { createBenchDatabase } from './bench-database.ts';
import {
  measureColdRendersLikeTheServer,
  type RenderResult,
  WARMUP_RENDERS,
} from './cold-render.ts';
import { type LoadResult, type LoadSettings, measure } from './load.ts';
import {
  type Child,
  freePort,
  startBareServer,
  startProjectServer,
  waitForWorkers,
  waitUntilAnswering,
} from './processes.ts';
import { SEED_PER_PAGE, type SeedProgress, type SeedResult, seedEngine } from './seed.ts';

export const TARGET_CACHED_RATIO = 0.6;
export const TARGET_COLD_P99_MS = 10;
const DEEP_PAGE = 500;
// The seeded site's time zone (bench/seed.ts): archive periods are calendar months there.
const SITE_TIMEZONE = 'Europe/London';
const COLD_RENDERS = 500;
const CHANGED_RENDERS = 30;

export interface PageBenchOptions {
  statements: number;
  durationSeconds: number;
  connections: number;
  profileDir: string | undefined;
  engines: Engine[];
  processes: number[];
  /** Print every captured query with its plan, not only those that read every statement. */
  plans: boolean;
  /** Build the search index after seeding; the pages measured never search. */
  searchIndex: boolean;
}

export interface PageBenchDeps {
  log(line: string): void;
  seedProgress(): SeedProgress;
  table(headers: string[], rows: string[][]): string;
}

interface SeededEngine {
  engine: Engine;
  url: string;
  seed: SeedResult;
}

interface LoadRow {
  engine: Engine;
  processes: number;
  page: string;
  result: LoadResult;
  before: LoadResult;
  after: LoadResult;
  ratio: number;
}

const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');
const engineName = (engine: Engine) => (engine === 'sqlite' ? 'SQLite' : 'PostgreSQL');

/** Everything that must go away however the run ends. */
class Cleanup {
  readonly children = new Set<Child>();
  tempDir: string | undefined;
  dropDatabase: (() => Promise<void>) | undefined;

  /** For process 'exit' handlers and signals, which cannot wait for a database. */
  now(): void {
    for (const child of this.children) child.killNow();
    if (this.tempDir !== undefined) rmSync(this.tempDir, { recursive: true, force: true });
    this.tempDir = undefined;
  }

  async stop(child: Child): Promise<void> {
    await child.stop();
    this.children.delete(child);
  }

  async all(): Promise<void> {
    for (const child of this.children) await this.stop(child);
    try {
      await this.dropDatabase?.();
    } finally {
      this.dropDatabase = undefined;
      this.now();
    }
  }
}

/** The calendar year and month (01-12) of an instant in the site's time zone. */
function yearAndMonth(instant: Date): { year: string; month: string } {
  const parts = new Intl.DateTimeFormat('en', {
    timeZone: SITE_TIMEZONE,
    year: 'numeric',
    month: '2-digit',
  }).formatToParts(instant);
  const part = (type: string) => parts.find((each) => each.type === type)?.value ?? '';
  return { year: part('year'), month: part('month') };
}

/** The pages timed cold, all of which exist on the seeded site. */
function coldTargets(seed: SeedResult) {
  const { year, month } = yearAndMonth(seed.samplePublishedAt);
  // About 95% of statements are English originals (bench/seed.ts), all on the front page. Page 500
  // (or a tenth of the way into smaller sites) walks 5,000 entries at 100,000 statements.
  const pages = Math.floor((seed.statements * 0.9) / SEED_PER_PAGE);
  const deepPage = Math.max(1, Math.min(DEEP_PAGE, Math.floor(pages / 10)));
  const target = (label: string, path: string) => ({
    label,
    path,
    iterations: COLD_RENDERS,
    changedIterations: CHANGED_RENDERS,
  });
  return [
    target('front page', '/'),
    target('statement', `/statements/${encodeURIComponent(seed.sampleSlug)}`),
    target('organisation', `/organisations/${seed.sampleOrganisationSlug}`),
    target('archive', '/archive'),
    target('archive year', `/archive/${year}`),
    target('archive month', `/archive/${year}/${month}`),
    target(`deep page`, `/?page=${deepPage}`),
  ];
}

async function seedAll(
  options: PageBenchOptions,
  cleanup: Cleanup,
  tempDir: string,
  deps: PageBenchDeps,
): Promise<SeededEngine[]> {
  const seeded: SeededEngine[] = [];
  for (const engine of options.engines) {
    let url = `sqlite:${path.join(tempDir, 'bench.db')}`;
    if (engine === 'postgres') {
      const database = await createBenchDatabase('pages', ', or run with --db sqlite');
      cleanup.dropDatabase = database.drop;
      url = database.url;
    }
    deps.log(`Seeding ${options.statements} statements into ${engineName(engine)}`);
    const seed = await seedEngine(url, options.statements, deps.seedProgress(), {
      searchIndex: options.searchIndex,
    });
    deps.log(`Seeded ${engineName(engine)} in ${fixed(seed.milliseconds / 1000, 1)} s`);
    seeded.push({ engine, url, seed });
  }
  return seeded;
}

/**
 * Cached pages under load, per number of processes: the bare server with as many processes runs
 * before the first page and after every page, so each ratio uses the bare runs around it.
 */
async function loadTests(
  options: PageBenchOptions,
  cleanup: Cleanup,
  tempDir: string,
  engines: SeededEngine[],
  deps: PageBenchDeps,
): Promise<LoadRow[]> {
  const settings: LoadSettings = {
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    warmupSeconds: Math.min(2, options.durationSeconds),
  };
  const run = async (label: string, url: string, child: Child, workers: number) => {
    deps.log(
      `Measuring ${label} (${url}): ${settings.durationSeconds} s, ${settings.connections} connections`,
    );
    const result = await measure(label, url, settings, child.process.pid, workers);
    deps.log(
      `  ${fixed(result.requestsPerSecond, 0)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, server CPU ${fixed(result.serverCpuUsPerRequest ?? Number.NaN, 0)} us/req, ${fixed(result.serverFaultsPerRequest ?? Number.NaN, 2)} page faults/req${result.failures > 0 ? `, ${result.failures} failed` : ''}`,
    );
    return result;
  };
  const startServer = async (engine: SeededEngine, workers: number) => {
    const port = await freePort();
    const server = startProjectServer({
      databaseUrl: engine.url,
      port,
      workers,
      profileDir: options.profileDir,
    });
    cleanup.children.add(server);
    const origin = `http://127.0.0.1:${port}`;
    await waitUntilAnswering(server, `${origin}/`);
    await waitForWorkers(server, workers);
    return { server, origin };
  };

  const rows: LoadRow[] = [];
  for (const processes of options.processes) {
    const [firstEngine] = engines;
    if (firstEngine === undefined) break;
    let started = await startServer(firstEngine, processes);
    const front = await fetch(`${started.origin}/`);
    const frontBytes = Buffer.from(await front.arrayBuffer());
    const contentType = front.headers.get('content-type') ?? 'text/html; charset=utf-8';
    const bodyFile = path.join(tempDir, 'front-page.html');
    writeFileSync(bodyFile, frontBytes);
    const bare = await startBareServer(bodyFile, contentType, processes);
    cleanup.children.add(bare.child);
    const bareUrl = `http://127.0.0.1:${bare.port}/`;
    const bareLabel = `bare node:http, ${processes} process${processes === 1 ? '' : 'es'}`;
    deps.log(
      `Front page: ${frontBytes.length} bytes of ${contentType}; the bare server sends them`,
    );
    let previous = await run(bareLabel, bareUrl, bare.child, processes);
    for (const [index, engine] of engines.entries()) {
      if (index > 0) started = await startServer(engine, processes);
      const pages = [
        ['front page', `${started.origin}/`],
        ['statement', `${started.origin}/statements/${encodeURIComponent(engine.seed.sampleSlug)}`],
      ] as const;
      for (const [page, url] of pages) {
        const label = `${engineName(engine.engine)}, ${processes} process${processes === 1 ? '' : 'es'}, ${page}`;
        const result = await run(label, url, started.server, processes);
        const after = await run(bareLabel, bareUrl, bare.child, processes);
        const bareMean = (previous.requestsPerSecond + after.requestsPerSecond) / 2;
        rows.push({
          engine: engine.engine,
          processes,
          page,
          result,
          before: previous,
          after,
          ratio: result.requestsPerSecond / bareMean,
        });
        previous = after;
      }
      await cleanup.stop(started.server);
    }
    await cleanup.stop(bare.child);
  }
  return rows;
}

interface ColdReport {
  engine: Engine;
  results: RenderResult[];
}

function loadTable(rows: LoadRow[], deps: PageBenchDeps): string {
  return deps.table(
    [
      'engine',
      'processes',
      'page',
      'Communiqué req/s',
      'p99 ms',
      'bare req/s',
      'bare p99 ms',
      'ratio',
      `target ≥ ${TARGET_CACHED_RATIO}×`,
      'CPU us/req',
      'bare CPU us/req',
      'faults/req',
    ],
    rows.map((row) => {
      const bare = (row.before.requestsPerSecond + row.after.requestsPerSecond) / 2;
      const failures = row.result.failures + row.before.failures + row.after.failures;
      return [
        engineName(row.engine),
        String(row.processes),
        row.page,
        fixed(row.result.requestsPerSecond, 0),
        String(row.result.p99Ms),
        fixed(bare, 0),
        String(Math.max(row.before.p99Ms, row.after.p99Ms)),
        `${fixed(row.ratio, 2)}×`,
        `${verdict(row.ratio >= TARGET_CACHED_RATIO)}${failures > 0 ? ` (${failures} failed requests)` : ''}`,
        fixed(row.result.serverCpuUsPerRequest ?? Number.NaN, 0),
        fixed(
          ((row.before.serverCpuUsPerRequest ?? Number.NaN) +
            (row.after.serverCpuUsPerRequest ?? Number.NaN)) /
            2,
          0,
        ),
        fixed(row.result.serverFaultsPerRequest ?? Number.NaN, 2),
      ];
    }),
  );
}

function coldTable(reports: ColdReport[], deps: PageBenchDeps): string {
  return deps.table(
    [
      'engine',
      'page',
      'path',
      'p50 ms',
      'p99 ms',
      `p99 < ${TARGET_COLD_P99_MS} ms`,
      'after a change p50',
      'p99',
      'queries',
      'plans',
    ],
    reports.flatMap(({ engine, results }) =>
      results.map((result) => {
        const perRender = result.plans.filter((plan) => plan.perRender).length;
        return [
          engineName(engine),
          result.label,
          result.path.replace(/^\/statements\/.+/, '/statements/…'),
          fixed(result.p50Ms, 2),
          fixed(result.p99Ms, 2),
          verdict(result.p99Ms < TARGET_COLD_P99_MS),
          fixed(result.afterChange.p50Ms, 2),
          fixed(result.afterChange.p99Ms, 2),
          `${perRender} + ${result.plans.length - perRender}`,
          planProblems(result).length === 0 ? 'ok' : 'MISS',
        ];
      }),
    ),
  );
}

/** Plans that read every statement: a table scan always, an index walk when it runs per render. */
function planProblems(result: RenderResult) {
  return result.plans.filter(
    (plan) => plan.tableScan !== null || (plan.perRender && plan.readsAll !== null),
  );
}

function planLines(plan: RenderResult['plans'][number]): string[] {
  return [
    `  ${plan.perRender ? 'every render' : 'once per content version'}${plan.executionMs === null ? '' : `, ${fixed(plan.executionMs, 2)} ms`}: ${plan.sql.replace(/\s+/g, ' ').trim()}`,
    `  parameters: ${JSON.stringify(plan.parameters)}`,
    ...plan.plan.map((line) => `    ${line}`),
  ];
}

function planReport(reports: ColdReport[], all: boolean): string[] {
  const lines: string[] = [];
  for (const { engine, results } of reports) {
    // Counts read once per content version that walk every statement, with the pages that read them.
    const notes = new Map<string, { readsAll: string; pages: string[] }>();
    for (const result of results) {
      for (const plan of planProblems(result))
        lines.push(
          `MISS ${engineName(engine)} ${result.label}: ${plan.tableScan ?? plan.readsAll}`,
          ...planLines(plan),
        );
      for (const plan of result.plans) {
        if (plan.perRender || plan.readsAll === null) continue;
        const note = notes.get(plan.sql) ?? { readsAll: plan.readsAll, pages: [] };
        if (!note.pages.includes(result.label)) note.pages.push(result.label);
        notes.set(plan.sql, note);
      }
      if (all) {
        lines.push(`${engineName(engine)} ${result.label} (${result.path}):`);
        for (const plan of result.plans) lines.push(...planLines(plan));
      }
    }
    for (const [sqlText, note] of notes)
      lines.push(
        `note ${engineName(engine)}: once per content version (${note.pages.join(', ')}), ${note.readsAll}`,
        `  ${sqlText.replace(/\s+/g, ' ').trim()}`,
      );
  }
  return lines;
}

/**
 * Seeds each engine, measures cached pages under load against the bare server (one process and
 * clusters), times cold renders in a process configured like the server and explains their SQL. Returns false when a plan
 * reads every statement.
 */
export async function runPageBench(
  options: PageBenchOptions,
  deps: PageBenchDeps,
): Promise<boolean> {
  const cleanup = new Cleanup();
  const onExit = () => cleanup.now();
  process.on('exit', onExit);
  const onSignal = (signal: NodeJS.Signals) => {
    deps.log(`\n${signal} received: stopping the servers and removing the bench databases`);
    for (const child of cleanup.children) child.killNow();
    const timeout = new Promise((resolve) => setTimeout(resolve, 5000).unref());
    void Promise.race([cleanup.dropDatabase?.() ?? Promise.resolve(), timeout])
      .catch((error: unknown) => deps.log(`Could not drop the bench database: ${String(error)}`))
      .finally(() => {
        cleanup.now();
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const started = performance.now();
  const loadBefore = loadavg()[0] ?? Number.NaN;
  if (loadBefore > availableParallelism()) {
    deps.log(
      `Warning: the machine is busy (load average ${fixed(loadBefore, 2)} on ${availableParallelism()} cores); expect noisy figures`,
    );
  }
  const tempDir = mkdtempSync(path.join(tmpdir(), 'communique-bench-'));
  cleanup.tempDir = tempDir;
  try {
    const engines = await seedAll(options, cleanup, tempDir, deps);
    const load = await loadTests(options, cleanup, tempDir, engines, deps);
    const cold: ColdReport[] = [];
    for (const engine of engines) {
      deps.log(`Timing cold renders on ${engineName(engine.engine)} in a server-like process`);
      const results = await measureColdRendersLikeTheServer(
        engine.url,
        coldTargets(engine.seed),
        engine.seed.statements,
      );
      cold.push({ engine: engine.engine, results });
    }
    const machine = `${availableParallelism()} cores, 1-minute load average ${fixed(loadBefore, 2)} before and ${fixed(loadavg()[0] ?? Number.NaN, 2)} after the run`;
    const problems = cold.flatMap(({ results }) => results.flatMap(planProblems));
    const out = [
      '',
      `Communiqué benchmark: ${options.statements} statements, ${options.connections} connections, ${options.durationSeconds} s per load run, Node ${process.version}`,
      `Machine: ${machine}`,
      ...engines.map(
        ({ engine, seed }) =>
          `Seeded ${engineName(engine)}: ${seed.statements} statements and ${seed.signatories} signatures in ${fixed(seed.milliseconds / 1000, 1)} s (migrations, rows, published counts, vacuum and statistics; ${seed.indexMilliseconds === undefined ? 'the search index is left empty: these pages do not search; --search-index builds it' : `of which the search index ${fixed(seed.indexMilliseconds / 1000, 1)} s`})`,
      ),
      '',
      'Cached pages under load (autocannon). bare: the mean of the bare node:http runs just before and after, with as many processes, sending the front page bytes; ratio: Communiqué over bare; CPU: server CPU time per request (all its processes); faults/req: minor page faults of the Communiqué server per request.',
      loadTable(load, deps),
      '',
      `Cold renders (Fastify inject, in a process with the server's garbage collector settings): ${COLD_RENDERS} with the page cache emptied before each (after ${WARMUP_RENDERS} unmeasured), and ${CHANGED_RENDERS} right after a content change (cache and site state dropped, counts read again).`,
      `queries: run on every render + read once per content version; plans: MISS when a query scans statements without an index, or reads every statement on every render. The statement page is ${engines.map(({ engine, seed }) => `/statements/${seed.sampleSlug} on ${engineName(engine)}`).join(', ')}.`,
      coldTable(cold, deps),
      '',
      ...planReport(cold, options.plans),
      ...(problems.length > 0
        ? [
            '',
            `${problems.length} quer${problems.length === 1 ? 'y reads' : 'ies read'} every statement: see MISS above.`,
          ]
        : []),
      '',
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    deps.log(`Total time ${fixed((performance.now() - started) / 1000, 0)} s`);
    return problems.length === 0;
  } finally {
    await cleanup.all();
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
