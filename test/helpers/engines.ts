import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

export type Engine = 'sqlite' | 'postgres';

export const POSTGRES_ADMIN_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Answers whether the test PostgreSQL server takes connections. */
export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({
    connectionString: POSTGRES_ADMIN_URL,
    connectionTimeoutMillis: 3000,
  });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

let enginesPromise: Promise<Engine[]> | undefined;

/** The engines this run covers: the runner decides; run alone, a file probes PostgreSQL itself. */
export function testEngines(): Promise<Engine[]> {
  enginesPromise ??= (async () => {
    const fromRunner = process.env.COMMUNIQUE_TEST_ENGINES;
    if (fromRunner) return fromRunner.split(',') as Engine[];
    if (await postgresReachable()) return ['sqlite', 'postgres'];
    if (process.env.CI === 'true')
      throw new Error(
        `PostgreSQL is required under CI=true but ${POSTGRES_ADMIN_URL} is not reachable`,
      );
    process.stderr.write(
      `Notice: PostgreSQL at ${POSTGRES_ADMIN_URL} is not reachable; its suites are skipped.\n`,
    );
    return ['sqlite'];
  })();
  return enginesPromise;
}

/** A fresh, empty database of one engine, dropped afterwards. */
export interface TestDatabase {
  engine: Engine;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === 'sqlite') {
    const folder = await mkdtemp(path.join(tmpdir(), 'communique-test-'));
    return {
      engine,
      url: `sqlite:${path.join(folder, 'site.db')}`,
      drop: () => rm(folder, { recursive: true, force: true }),
    };
  }
  const name = `communique_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    engine,
    url: url.href,
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
