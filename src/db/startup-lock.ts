import { DatabaseSync } from 'node:sqlite';
import { sql } from 'kysely';
import type { DatabaseConfig } from '../config.ts';
import type { DatabaseHandle } from './connect.ts';

// Every Communiqué process on one database agrees on this number, whatever host it runs on.
export const POSTGRES_STARTUP_LOCK_KEY = 7_046_301_122;
const SQLITE_LOCK_WAIT_MS = 120_000;

/**
 * Runs start-up work (migrations, demo content) in one process at a time per database, so
 * servers started together on several hosts never migrate or seed concurrently.
 */
export async function withStartupLock<T>(
  handle: DatabaseHandle,
  config: DatabaseConfig,
  work: () => Promise<T>,
): Promise<T> {
  if (config.engine === 'postgres') {
    // A session lock on one pooled connection; the work itself runs on the others.
    return handle.db.connection().execute(async (connection) => {
      await sql`select pg_advisory_lock(${POSTGRES_STARTUP_LOCK_KEY})`.execute(connection);
      try {
        return await work();
      } finally {
        await sql`select pg_advisory_unlock(${POSTGRES_STARTUP_LOCK_KEY})`.execute(connection);
      }
    });
  }
  if (config.file === ':memory:') return work();
  // SQLite's own file lock on a companion file: the OS releases it if the process dies.
  const lock = new DatabaseSync(`${config.file}.startup-lock`, { timeout: SQLITE_LOCK_WAIT_MS });
  try {
    lock.exec('begin exclusive');
    return await work();
  } finally {
    lock.close();
  }
}
