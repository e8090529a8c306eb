import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config.ts';
import type { Database } from './database.ts';
import { type DialectHelpers, dialectHelpers, type Engine } from './dialect.ts';
import { NodeSqliteDialect } from './node-sqlite-dialect.ts';

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
  helpers: DialectHelpers;
  /** Where the data lives, without credentials, for log lines. */
  description: string;
  /** The connections right now, for metrics; SQLite has one. */
  poolStats(): PoolStats;
  close(): Promise<void>;
}

/** A connection pool's state: open connections, idle ones, and queries waiting for one. */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

const POSTGRES_POOL_SIZE = 10;

/** A database that cannot be opened or reached, explained in one line. */
export class DatabaseUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnavailableError';
  }
}

// COUNT(*) and BIGINT arrive as strings from pg; our counts fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

function describePostgres(url: string): string {
  const parsed = new URL(url);
  return `PostgreSQL at ${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname}`;
}

/** How long to keep trying a PostgreSQL that is not reachable yet, and where to say so. */
export interface ConnectRetry {
  /** Total time to keep retrying; 0 tries once. */
  timeoutMs: number;
  /** Told before each wait, e.g. "… is not reachable (ECONNREFUSED); retrying in 2 s (attempt 2 of 9)". */
  onRetry(message: string): void;
}

const FIRST_RETRY_DELAY_MS = 1000;
const LONGEST_RETRY_DELAY_MS = 5000;
// Network failures and a server still starting up or full pass; a wrong password or database name does not.
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  '57P03', // the database system is starting up or shutting down
  '53300', // too many connections
]);

/** The waits between attempts: doubling from 1 s up to 5 s, together no longer than the timeout. */
export function retryDelays(timeoutMs: number): number[] {
  const delays: number[] = [];
  let total = 0;
  let next = FIRST_RETRY_DELAY_MS;
  while (total < timeoutMs) {
    const delay = Math.min(next, timeoutMs - total);
    delays.push(delay);
    total += delay;
    next = Math.min(next * 2, LONGEST_RETRY_DELAY_MS);
  }
  return delays;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function errorReason(error: unknown): string {
  if (error instanceof AggregateError && error.message === '')
    return error.errors.map(errorReason).join('; ');
  return error instanceof Error ? error.message : String(error);
}

function isTransient(error: unknown): boolean {
  const code = errorCode(error);
  if (code !== undefined) return TRANSIENT_CODES.has(code);
  return /timeout|terminated|closed/i.test(errorReason(error));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function openPostgres(url: string, retry: ConnectRetry | undefined): Promise<DatabaseHandle> {
  const description = describePostgres(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: POSTGRES_POOL_SIZE,
    connectionTimeoutMillis: 5000,
  });
  pool.on('error', () => {});
  const delays = retryDelays(retry?.timeoutMs ?? 0);
  const attempts = delays.length + 1;
  const started = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      const client = await pool.connect();
      client.release();
      break;
    } catch (error) {
      const delay = delays[attempt - 1];
      if (retry !== undefined && delay !== undefined && isTransient(error)) {
        const seconds = Number((delay / 1000).toFixed(1));
        retry.onRetry(
          `${description} is not reachable (${errorCode(error) ?? errorReason(error)}); retrying in ${seconds} s (attempt ${attempt + 1} of ${attempts})`,
        );
        await sleep(delay);
        continue;
      }
      await pool.end().catch(() => {});
      const tried =
        attempt > 1
          ? ` (${attempt} attempts over ${Math.round((Date.now() - started) / 1000)} s)`
          : '';
      throw new DatabaseUnavailableError(
        `Cannot connect to ${description}: ${errorReason(error)}${tried}. Check that the server is running and DATABASE_URL is right.`,
      );
    }
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    engine: 'postgres',
    helpers: dialectHelpers('postgres'),
    description,
    poolStats: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: POSTGRES_POOL_SIZE,
    }),
    close: () => db.destroy(),
  };
}

async function openSqlite(file: string): Promise<DatabaseHandle> {
  const description = file === ':memory:' ? 'SQLite in memory' : `SQLite file ${file}`;
  try {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    const db = new Kysely<Database>({ dialect: new NodeSqliteDialect(file) });
    await db.selectNoFrom((eb) => eb.val(1).as('ok')).execute();
    return {
      db,
      engine: 'sqlite',
      helpers: dialectHelpers('sqlite'),
      description,
      // One synchronous connection: it is never idle in a way that matters, and nothing waits for it.
      poolStats: () => ({ total: 1, idle: 1, waiting: 0, max: 1 }),
      close: () => db.destroy(),
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseUnavailableError(`Cannot open ${description}: ${reason}`);
  }
}

/** Opens the database; with `retry`, an unreachable PostgreSQL is tried again until the timeout. */
export function openDatabase(
  config: DatabaseConfig,
  retry?: ConnectRetry,
): Promise<DatabaseHandle> {
  return config.engine === 'sqlite' ? openSqlite(config.file) : openPostgres(config.url, retry);
}
