import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { parseDatabaseUrl } from '../src/config.ts';
import { openDatabase } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { POSTGRES_STARTUP_LOCK_KEY } from '../src/db/startup-lock.ts';
import { seedDemoContent } from '../src/demo/seed-demo-content.ts';
import { type CliResult, runCli } from './helpers/cli.ts';
import {
  createTestDatabase,
  type Engine,
  type TestDatabase,
  testEngines,
} from './helpers/engines.ts';

// Long enough for a restore of the demo site to finish several times over if it did not wait.
const HELD_MS = 2500;

/** Holds the start-up lock a starting server takes on this database, as that server would. */
async function holdStartupLock(engine: Engine, url: string): Promise<() => Promise<void>> {
  if (engine === 'postgres') {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('select pg_advisory_lock($1)', [POSTGRES_STARTUP_LOCK_KEY]);
    return async () => {
      await client.query('select pg_advisory_unlock($1)', [POSTGRES_STARTUP_LOCK_KEY]);
      await client.end();
    };
  }
  const config = parseDatabaseUrl(url);
  if (config.engine !== 'sqlite') throw new Error(`${url} is not a SQLite database`);
  const lock = new DatabaseSync(`${config.file}.startup-lock`);
  lock.exec('begin exclusive');
  return async () => lock.close();
}

/** Runs the CLI while the lock is held, and tells how long it ran before the lock was let go. */
async function runWhileLocked(engine: Engine, url: string, args: string[], env = {}) {
  const release = await holdStartupLock(engine, url);
  let finished = false;
  const running = runCli(args, env).then((result: CliResult) => {
    finished = true;
    return result;
  });
  await new Promise((resolve) => setTimeout(resolve, HELD_MS));
  const finishedWhileLocked = finished;
  await release();
  return { finishedWhileLocked, result: await running };
}

async function statementCount(url: string): Promise<number> {
  const handle = await openDatabase(parseDatabaseUrl(url));
  try {
    const row = await handle.db
      .selectFrom('statements')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  } finally {
    await handle.close();
  }
}

for (const engine of await testEngines()) {
  describe(`[${engine}] restore and copy wait for a server that is starting`, () => {
    let source: TestDatabase;
    let work: string;
    let backup: string;
    let sourceStatements = 0;

    before(async () => {
      source = await createTestDatabase(engine);
      const handle = await openDatabase(parseDatabaseUrl(source.url));
      try {
        await migrateToLatest(handle);
        await seedDemoContent(handle);
      } finally {
        await handle.close();
      }
      sourceStatements = await statementCount(source.url);
      work = await mkdtemp(path.join(tmpdir(), 'communique-restore-lock-'));
      backup = path.join(work, 'site.ndjson.gz');
      const made = await runCli(['backup', backup], { DATABASE_URL: source.url });
      assert.equal(made.code, 0, made.stderr);
    });
    after(async () => {
      await source?.drop();
      await rm(work, { recursive: true, force: true });
    });

    test('restore into an empty database waits for the start-up lock, then restores', async () => {
      const target = await createTestDatabase(engine);
      try {
        const { finishedWhileLocked, result } = await runWhileLocked(
          engine,
          target.url,
          ['restore', backup],
          { DATABASE_URL: target.url },
        );
        assert.equal(finishedWhileLocked, false, 'the restore waited while the lock was held');
        assert.equal(result.code, 0, result.stderr);
        assert.equal(await statementCount(target.url), sourceStatements);
      } finally {
        await target.drop();
      }
    });

    test('copy into an empty database waits for the start-up lock, then copies', async () => {
      const target = await createTestDatabase(engine);
      try {
        const { finishedWhileLocked, result } = await runWhileLocked(engine, target.url, [
          'copy',
          '--from',
          source.url,
          '--to',
          target.url,
        ]);
        assert.equal(finishedWhileLocked, false, 'the copy waited while the lock was held');
        assert.equal(result.code, 0, result.stderr);
        assert.equal(await statementCount(target.url), sourceStatements);
      } finally {
        await target.drop();
      }
    });
  });
}
