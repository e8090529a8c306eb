import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/connect.ts';
import { createLogger } from '../src/http/logger.ts';
import { bumpContentVersion } from '../src/settings/index.ts';
import { explainQueries, QueryCapture, type QueryPlan } from './query-plans.ts';

export interface RenderTarget {
  label: string;
  path: string;
  iterations: number;
  /** Renders right after a content change (fewer: each one also recounts). */
  changedIterations: number;
}

export interface Timings {
  iterations: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** CPU time of this process per render, garbage collection included. */
  cpuMs: number;
}

export interface RenderResult extends Timings {
  label: string;
  path: string;
  /** The first render after a content change: the site state and its counts are read again. */
  afterChange: Timings;
  /** Each distinct query of the page, explained; `perRender` false for those read once per content version. */
  plans: (QueryPlan & { perRender: boolean })[];
}

// Renders before measuring, so that template parsing and JIT compilation are not counted as page rendering.
export const WARMUP_RENDERS = 50;

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

async function timed(
  iterations: number,
  prepare: () => Promise<void>,
  render: () => Promise<number>,
): Promise<Timings> {
  const times: number[] = [];
  let cpuMicros = 0;
  for (let index = 0; index < iterations; index++) {
    await prepare();
    const cpuBefore = process.cpuUsage();
    times.push(await render());
    const cpu = process.cpuUsage(cpuBefore);
    cpuMicros += cpu.user + cpu.system;
  }
  times.sort((a, b) => a - b);
  return {
    iterations,
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    meanMs: times.reduce((sum, time) => sum + time, 0) / times.length,
    maxMs: times[times.length - 1] ?? Number.NaN,
    cpuMs: cpuMicros / 1000 / iterations,
  };
}

const queryKey = (query: { sql: string; parameters: readonly unknown[] }) =>
  `${query.sql}\n${JSON.stringify(query.parameters)}`;

/**
 * Times full renders through Fastify in this process: cold (page cache emptied before each) and
 * right after a content change (page cache and site state dropped, as a publish does). Captures
 * each page's SQL and explains it; queries of the second kind only are read once per content version.
 */
export async function measureColdRenders(
  databaseUrl: string,
  targets: RenderTarget[],
  statementCount: number,
): Promise<RenderResult[]> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    PORT: '0',
    COMMUNIQUE_DEMO: '0',
    LOG_LEVEL: 'warn',
  });
  const handle = await openDatabase(config.database);
  const capture = new QueryCapture(handle.db);
  const app = await buildApp(
    config,
    { ...handle, db: handle.db.withPlugin(capture) },
    createLogger({ ...config, logLevel: 'warn' }),
  );
  try {
    const results: RenderResult[] = [];
    const emptyCache = async () => app.cache.clear();
    const contentChanged = async () => {
      await bumpContentVersion(handle.db);
      // False when PostgreSQL's notification got there first; either way the state is dropped.
      await app.refreshContent();
    };
    for (const target of targets) {
      const render = async (): Promise<number> => {
        const started = performance.now();
        const response = await app.server.inject({ method: 'GET', url: target.path });
        const elapsed = performance.now() - started;
        if (response.statusCode !== 200)
          throw new Error(`${target.path} answered ${response.statusCode} in the cold render test`);
        return elapsed;
      };
      await contentChanged();
      const afterChange = await capture.capture(render);
      await emptyCache();
      const cold = await capture.capture(render);
      const perRender = new Set(cold.queries.map(queryKey));
      const plans = (
        await explainQueries(handle.db, handle.engine, afterChange.queries, statementCount)
      ).map((plan) => ({ ...plan, perRender: perRender.has(queryKey(plan)) }));

      for (let index = 0; index < WARMUP_RENDERS; index++) {
        await emptyCache();
        await render();
      }
      const timings = await timed(target.iterations, emptyCache, render);
      const changed = await timed(target.changedIterations, contentChanged, render);
      results.push({
        label: target.label,
        path: target.path,
        ...timings,
        afterChange: changed,
        plans,
      });
    }
    return results;
  } finally {
    await app.close();
    await handle.close();
  }
}

/**
 * `measureColdRenders` in a process of its own, configured as `communique serve` configures
 * itself: the bench process's larger young generation made each scavenge copy several megabytes,
 * a pause a server never has.
 */
export async function measureColdRendersLikeTheServer(
  databaseUrl: string,
  targets: RenderTarget[],
  statementCount: number,
): Promise<RenderResult[]> {
  const script = fileURLToPath(new URL('./cold-render-process.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    [script, databaseUrl, JSON.stringify(targets), String(statementCount)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  if (code !== 0)
    throw new Error(`the cold render process failed (${signal ?? `exit code ${code}`})`);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as RenderResult[];
}
