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
  close(): Promise<void>;
}

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

async function openPostgres(url: string): Promise<DatabaseHandle> {
  const description = describePostgres(url);
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => {});
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseUnavailableError(
      `Cannot connect to ${description}: ${reason}. Check that the server is running and DATABASE_URL is right.`,
    );
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    engine: 'postgres',
    helpers: dialectHelpers('postgres'),
    description,
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
      close: () => db.destroy(),
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseUnavailableError(`Cannot open ${description}: ${reason}`);
  }
}

export function openDatabase(config: DatabaseConfig): Promise<DatabaseHandle> {
  return config.engine === 'sqlite' ? openSqlite(config.file) : openPostgres(config.url);
}
