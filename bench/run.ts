import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { measureColdRenders, type RenderResult, WARMUP_RENDERS } from './cold-render.ts';
import { type LoadResult, type LoadSettings, measure } from './load.ts';
import {
  type Child,
  freePort,
  startBareServer,
  startProjectServer,
  waitUntilAnswering,
} from './processes.ts';
import { runSearchBench, SEARCH_STATEMENTS } from './search.ts';
import { SEED_PER_PAGE, seedDatabase } from './seed.ts';

const HELP = `Usage: npm run bench -- [options]

Seeds a temporary SQLite site, serves it from a separate process and measures it with
autocannon against a bare node:http server sending the same front-page bytes, then
times cold (uncached) renders in-process.

Options:
  --statements N    statements to seed (default 10000)
  --duration S      seconds per measured load run (default 10)
  --connections C   concurrent connections (default 50)
  --profile DIR     write a V8 CPU profile of the server process into DIR
  --search          instead: the search benchmark. Seeds --statements (default 100000)
                    statements into a temporary SQLite file and into a new PostgreSQL
                    database on postgres://postgres@127.0.0.1:5432/postgres (override with
                    BENCH_POSTGRES_URL; dropped at the end), then times 200 searches on each
                    through the search adapter and through /search (target p95 < 20 ms).
                    Takes 10-20 minutes; not part of the default run. BENCH_SEARCH_BUDGET_S
                    (default 60) caps the seconds spent per engine on each measured part.
  -h, --help        show this help
`;

const DEEP_PAGE = 500;
const TARGET_CACHED_RATIO = 0.6;
const TARGET_COLD_P99_MS = 5;

interface Options {
  statements: number;
  durationSeconds: number;
  connections: number;
  profileDir: string | undefined;
  search: boolean;
}

/** A mistake on the command line: reported in one line, without a stack. */
class UsageError extends Error {}

function positiveInteger(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new UsageError(`--${name} must be a whole number of at least 1, got "${raw}"`);
  }
  return value;
}

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      statements: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      profile: { type: 'string' },
      search: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
}

function readOptions(argv: string[]): Options | null {
  let values: ReturnType<typeof parseCommandLine>['values'];
  try {
    ({ values } = parseCommandLine(argv));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return null;
  const search = values.search ?? false;
  return {
    search,
    statements: positiveInteger(
      'statements',
      values.statements,
      search ? SEARCH_STATEMENTS : 10_000,
    ),
    durationSeconds: positiveInteger('duration', values.duration, 10),
    connections: positiveInteger('connections', values.connections, 50),
    profileDir: values.profile === undefined ? undefined : path.resolve(values.profile),
  };
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** One progress line: rewritten in place on a terminal, every 10% otherwise. */
function seedProgress(): (done: number, total: number) => void {
  let shownStep = -1;
  return (done, total) => {
    const percent = Math.floor((done / total) * 100);
    const line = `Seeding statements ${done}/${total} (${percent}%)`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
    } else if (Math.floor(percent / 10) > shownStep || done === total) {
      shownStep = Math.floor(percent / 10);
      log(line);
    }
  };
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  return [
    line(headers),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.map(line),
  ].join('\n');
}

const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');

/** Everything that must go away however the run ends. */
class Cleanup {
  readonly children = new Set<Child>();
  tempDir: string | undefined;

  now(): void {
    for (const child of this.children) child.killNow();
    if (this.tempDir !== undefined) rmSync(this.tempDir, { recursive: true, force: true });
    this.tempDir = undefined;
  }

  async stop(child: Child): Promise<void> {
    await child.stop();
    this.children.delete(child);
  }
}

async function loadTests(
  options: Options,
  cleanup: Cleanup,
  databaseFile: string,
  tempDir: string,
  statementSlug: string,
  deepPage: number,
): Promise<{ bare: LoadResult[]; project: { result: LoadResult; ratio: number }[] }> {
  const port = await freePort();
  const server = startProjectServer({ databaseFile, port, profileDir: options.profileDir });
  cleanup.children.add(server);
  const origin = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(server, `${origin}/`);

  const front = await fetch(`${origin}/`);
  const frontBytes = Buffer.from(await front.arrayBuffer());
  const contentType = front.headers.get('content-type') ?? 'text/html; charset=utf-8';
  const bodyFile = path.join(tempDir, 'front-page.html');
  writeFileSync(bodyFile, frontBytes);
  const bare = await startBareServer(bodyFile, contentType);
  cleanup.children.add(bare.child);
  const bareUrl = `http://127.0.0.1:${bare.port}/`;
  log(`Front page: ${frontBytes.length} bytes of ${contentType}`);

  const settings: LoadSettings = {
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    warmupSeconds: Math.min(2, options.durationSeconds),
  };
  const run = async (label: string, url: string, pid: number | undefined) => {
    log(
      `Measuring ${label} (${url}): ${settings.durationSeconds} s, ${settings.connections} connections`,
    );
    const result = await measure(label, url, settings, pid);
    log(
      `  ${fixed(result.requestsPerSecond, 0)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, server CPU ${fixed(result.serverCpuUsPerRequest ?? Number.NaN, 0)} us/req`,
    );
    return result;
  };
  const targets = [
    ['front page (cached)', `${origin}/`],
    ['statement (cached)', `${origin}/statements/${encodeURIComponent(statementSlug)}`],
    [`/?page=${deepPage} (cached)`, `${origin}/?page=${deepPage}`],
  ] as const;
  // Bare runs bracket every project run, so each ratio uses the machine's state around it.
  const bareRun = () => run('bare node:http', bareUrl, bare.child.process.pid);
  const bareResults = [await bareRun()];
  const project: { result: LoadResult; ratio: number }[] = [];
  for (const [label, url] of targets) {
    const result = await run(label, url, server.process.pid);
    const after = await bareRun();
    const before = bareResults[bareResults.length - 1] ?? after;
    bareResults.push(after);
    const bareMean = (before.requestsPerSecond + after.requestsPerSecond) / 2;
    project.push({ result, ratio: result.requestsPerSecond / bareMean });
  }
  await cleanup.stop(bare.child);
  await cleanup.stop(server);
  return { bare: bareResults, project };
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  if (options === null) {
    process.stdout.write(HELP);
    return;
  }
  if (options.search) {
    await runSearchBench(options.statements, { log, seedProgress, table });
    return;
  }
  const cleanup = new Cleanup();
  process.on('exit', () => cleanup.now());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`\n${signal} received: stopping the servers and removing the temporary files`);
      cleanup.now();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }

  const started = performance.now();
  const loadBefore = loadavg()[0] ?? Number.NaN;
  if (loadBefore > availableParallelism()) {
    log(
      `Warning: the machine is busy (load average ${fixed(loadBefore, 2)} on ${availableParallelism()} cores); expect noisy figures`,
    );
  }
  const tempDir = mkdtempSync(path.join(tmpdir(), 'communique-bench-'));
  cleanup.tempDir = tempDir;
  const databaseFile = path.join(tempDir, 'bench.db');
  try {
    log(`Seeding ${options.statements} statements into ${databaseFile}`);
    const seeded = await seedDatabase(databaseFile, options.statements, seedProgress());
    const seedLine = `Seeded ${seeded.statements} statements and ${seeded.signatories} signatures in ${fixed(seeded.milliseconds / 1000, 2)} s`;
    log(seedLine);
    const deepPage = Math.min(DEEP_PAGE, Math.ceil(seeded.statements / SEED_PER_PAGE));
    const statementPath = `/statements/${encodeURIComponent(seeded.sampleSlug)}`;

    const load = await loadTests(
      options,
      cleanup,
      databaseFile,
      tempDir,
      seeded.sampleSlug,
      deepPage,
    );

    log('Timing cold renders in-process (page cache emptied before each render)');
    const cold = await measureColdRenders(databaseFile, [
      { label: 'front page', path: '/', iterations: 1000 },
      { label: 'statement', path: statementPath, iterations: 300 },
      { label: `/?page=${deepPage}`, path: `/?page=${deepPage}`, iterations: 300 },
    ]);

    const machine = {
      cores: availableParallelism(),
      loadBefore,
      loadAfter: loadavg()[0] ?? Number.NaN,
    };
    printReport(options, seedLine, machine, load, cold);
    log(`Total time ${fixed((performance.now() - started) / 1000, 0)} s`);
  } finally {
    for (const child of cleanup.children) await cleanup.stop(child);
    cleanup.now();
  }
}

interface Machine {
  cores: number;
  loadBefore: number;
  loadAfter: number;
}

function loadRow(result: LoadResult, ratio: number, note: string): string[] {
  return [
    result.label,
    fixed(result.requestsPerSecond, 0),
    String(result.p50Ms),
    String(result.p99Ms),
    fixed(ratio, 3),
    fixed(result.serverCpuUsPerRequest ?? Number.NaN, 0),
    [note, result.failures > 0 ? `${result.failures} failed` : ''].filter(Boolean).join(', '),
  ];
}

function printReport(
  options: Options,
  seedLine: string,
  machine: Machine,
  load: { bare: LoadResult[]; project: { result: LoadResult; ratio: number }[] },
  cold: RenderResult[],
): void {
  const bareMean =
    load.bare.reduce((sum, result) => sum + result.requestsPerSecond, 0) / load.bare.length;
  const bareRow = (index: number) => {
    const result = load.bare[index];
    return result
      ? [
          loadRow(
            { ...result, label: `bare node:http #${index + 1}` },
            result.requestsPerSecond / bareMean,
            '',
          ),
        ]
      : [];
  };
  // Rows in the order they ran, so each project row sits between the bare runs its ratio uses.
  const loadRows = [
    ...bareRow(0),
    ...load.project.flatMap(({ result, ratio }, index) => [
      loadRow(
        result,
        ratio,
        index === 0
          ? `target >= ${TARGET_CACHED_RATIO}: ${verdict(ratio >= TARGET_CACHED_RATIO)}`
          : '',
      ),
      ...bareRow(index + 1),
    ]),
  ];
  const coldRows = cold.map((result, index) => [
    `${result.label} (cold)`,
    String(result.iterations),
    fixed(result.p50Ms, 2),
    fixed(result.p99Ms, 2),
    fixed(result.meanMs, 2),
    fixed(result.maxMs, 2),
    fixed(result.cpuMs, 2),
    index === 0
      ? `p99 < ${TARGET_COLD_P99_MS} ms: ${verdict(result.p99Ms < TARGET_COLD_P99_MS)}`
      : '',
  ]);
  const out = [
    '',
    `Communiqué benchmark: ${options.statements} statements, ${options.connections} connections, ${options.durationSeconds} s per run, Node ${process.version}`,
    seedLine,
    `Machine: ${machine.cores} cores, 1-minute load average ${fixed(machine.loadBefore, 2)} before and ${fixed(machine.loadAfter, 2)} after the run`,
    '',
    'Load (autocannon). vs bare: req/s over the mean of the bare runs just before and after (bare rows: over the mean of all bare runs).',
    'CPU us/req: CPU time the serving process used per answered request.',
    table(['target', 'req/s', 'p50 ms', 'p99 ms', 'vs bare', 'CPU us/req', 'notes'], loadRows),
    '',
    `Cold render (in-process, Fastify inject, page cache cleared before each render; ${WARMUP_RENDERS} unmeasured renders first)`,
    table(
      ['target', 'renders', 'p50 ms', 'p99 ms', 'mean ms', 'max ms', 'CPU ms', 'notes'],
      coldRows,
    ),
    '',
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    log(`${error.message}\nRun npm run bench -- --help for the options.`);
    process.exitCode = 2;
    return;
  }
  log(
    `Benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exitCode = 1;
});
