import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/connect.ts';
import { createLogger } from '../src/http/logger.ts';

export interface RenderTarget {
  label: string;
  path: string;
  iterations: number;
}

export interface RenderResult {
  label: string;
  path: string;
  iterations: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** CPU time of this process per render, garbage collection included. */
  cpuMs: number;
}

// Renders before measuring, so that template parsing and JIT compilation are not counted as page rendering.
export const WARMUP_RENDERS = 50;

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

/** Times full renders through Fastify with the page cache emptied before each one, in this process. */
export async function measureColdRenders(
  databaseFile: string,
  targets: RenderTarget[],
): Promise<RenderResult[]> {
  const config = loadConfig({
    DATABASE_URL: `sqlite:${databaseFile}`,
    PORT: '0',
    COMMUNIQUE_DEMO: '0',
    LOG_LEVEL: 'warn',
  });
  const handle = await openDatabase(config.database);
  const app = await buildApp(config, handle, createLogger({ ...config, logLevel: 'warn' }));
  try {
    const results: RenderResult[] = [];
    for (const target of targets) {
      const render = async (): Promise<number> => {
        app.cache.clear();
        const started = performance.now();
        const response = await app.server.inject({ method: 'GET', url: target.path });
        const elapsed = performance.now() - started;
        if (response.statusCode !== 200)
          throw new Error(`${target.path} answered ${response.statusCode} in the cold render test`);
        return elapsed;
      };
      for (let index = 0; index < WARMUP_RENDERS; index++) await render();
      const times: number[] = [];
      const cpuBefore = process.cpuUsage();
      for (let index = 0; index < target.iterations; index++) times.push(await render());
      const cpu = process.cpuUsage(cpuBefore);
      times.sort((a, b) => a - b);
      results.push({
        label: target.label,
        path: target.path,
        iterations: target.iterations,
        p50Ms: percentile(times, 50),
        p99Ms: percentile(times, 99),
        meanMs: times.reduce((sum, time) => sum + time, 0) / times.length,
        maxMs: times[times.length - 1] ?? Number.NaN,
        cpuMs: (cpu.user + cpu.system) / 1000 / target.iterations,
      });
    }
    return results;
  } finally {
    await app.close();
    await handle.close();
  }
}
