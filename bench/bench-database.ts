import pg from 'pg';

/** The server every bench database is created on; the database itself gets a unique name. */
export const POSTGRES_ADMIN_URL =
  process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A mistake in the environment the run needs, reported in one line. */
export class BenchSetupError extends Error {}

/**
 * A fresh database on the bench PostgreSQL server, named after `purpose`, dropped by the returned
 * function (once, however often it is called). `hint` ends the message when it cannot be made.
 */
export async function createBenchDatabase(
  purpose: string,
  hint = '',
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `communique_bench_${purpose}_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({
    connectionString: POSTGRES_ADMIN_URL,
    connectionTimeoutMillis: 5000,
  });
  try {
    await admin.connect();
    await admin.query(`create database ${name}`);
  } catch (error) {
    const where = new URL(POSTGRES_ADMIN_URL);
    throw new BenchSetupError(
      `Cannot create a bench database on PostgreSQL at ${where.host}: ${error instanceof Error ? error.message : String(error)}. Start it or point BENCH_POSTGRES_URL at one${hint}.`,
    );
  } finally {
    await admin.end().catch(() => {});
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.href,
    async drop() {
      if (dropped) return;
      dropped = true;
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      try {
        // with (force) ends any connection still open, e.g. a server killed mid-query.
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
