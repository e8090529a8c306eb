import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Engine } from '../src/db/dialect.ts';
import { BenchSetupError } from './bench-database.ts';
import { runPageBench } from './pages.ts';
import { runSearchBench, SEARCH_STATEMENTS } from './search.ts';

const HELP = `Usage: npm run bench -- [options]

Seeds a temporary site on each engine (a SQLite file; a new PostgreSQL database on
postgres://postgres@127.0.0.1:5432/postgres, override with BENCH_POSTGRES_URL, dropped at
the end), serves it from separate processes and measures the cached front page and a
statement page with autocannon against a bare node:http server sending the front-page
bytes with as many processes, then times cold renders of seven pages (in a process
with the server's garbage collector settings) and EXPLAINs their SQL (exit code 1 when a query reads every statement).

Options:
  --statements N    statements to seed (default 10000, about 5 minutes; 100000, about 6)
  --db ENGINE       sqlite, postgres or both (default both)
  --processes LIST  server processes to measure: 1, 2 or 1,2 (default 1,2); 2 runs
                    communique serve --workers 2 against a 2-worker bare cluster
  --duration S      seconds per measured load run (default 10)
  --connections C   concurrent connections (default 50)
  --plans           print every captured query with its plan, not only the failing ones
  --search-index    also build the search index after seeding (these pages never search;
                    at 100000 statements it adds about 30 s on SQLite, 4 minutes on PostgreSQL)
  --profile DIR     write V8 CPU profiles of the server processes into DIR
  --search          instead: the search benchmark. Seeds --statements (default 100000)
                    statements into a temporary SQLite file and into a new PostgreSQL
                    database on postgres://postgres@127.0.0.1:5432/postgres (override with
                    BENCH_POSTGRES_URL; dropped at the end), then times 200 searches on each
                    through the search adapter and through /search (target p95 < 20 ms).
                    Takes 10-20 minutes; not part of the default run. BENCH_SEARCH_BUDGET_S
                    (default 60) caps the seconds spent per engine on each measured part.
  -h, --help        show this help
`;

interface Options {
  statements: number;
  durationSeconds: number;
  connections: number;
  profileDir: string | undefined;
  search: boolean;
  engines: Engine[];
  processes: number[];
  plans: boolean;
  searchIndex: boolean;
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

function engines(raw: string | undefined): Engine[] {
  if (raw === undefined || raw === 'both') return ['sqlite', 'postgres'];
  if (raw === 'sqlite' || raw === 'postgres') return [raw];
  throw new UsageError(`--db must be sqlite, postgres or both, got "${raw}"`);
}

function processCounts(raw: string | undefined): number[] {
  if (raw === undefined) return [1, 2];
  const counts = raw.split(',').map((part) => part.trim());
  if (counts.length === 0 || counts.some((count) => count !== '1' && count !== '2'))
    throw new UsageError(`--processes must be 1, 2 or 1,2, got "${raw}"`);
  return [...new Set(counts.map(Number))].sort();
}

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      statements: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      profile: { type: 'string' },
      db: { type: 'string' },
      processes: { type: 'string' },
      plans: { type: 'boolean' },
      'search-index': { type: 'boolean' },
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
    engines: engines(values.db),
    processes: processCounts(values.processes),
    plans: values.plans ?? false,
    searchIndex: values['search-index'] ?? false,
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
  const plansFine = await runPageBench(options, { log, seedProgress, table });
  if (!plansFine) process.exitCode = 1;
}

main().catch((error: unknown) => {
  if (error instanceof BenchSetupError) {
    log(error.message);
    process.exitCode = 2;
    return;
  }
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
