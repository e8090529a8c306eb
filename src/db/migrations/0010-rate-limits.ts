import type { Kysely } from 'kysely';

// biome-ignore-start lint/suspicious/noExplicitAny: migrations describe tables before types exist
/** Request counters shared by every process, for rate limits without Redis. */
export function rateLimits() {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('rate_limit_windows')
        .addColumn('key', 'varchar(200)', (column) => column.primaryKey())
        .addColumn('window_started_ms', 'bigint', (column) => column.notNull())
        .addColumn('hits', 'integer', (column) => column.notNull())
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('rate_limit_windows').execute();
    },
  };
}
// biome-ignore-end lint/suspicious/noExplicitAny: migrations describe tables before types exist
