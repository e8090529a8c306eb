import { type Kysely, sql } from 'kysely';
import { installCounting, uninstallCounting } from '../../statements/published-count-triggers.ts';
import type { DialectHelpers } from '../dialect.ts';

// biome-ignore-start lint/suspicious/noExplicitAny: migrations describe tables before types exist
/** Counts of published statements kept by triggers (src/statements/published-count-triggers.ts). */
export function publishedCounts(helpers: DialectHelpers) {
  const { engine } = helpers;
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('published_counts')
        .addColumn('bucket', engine === 'sqlite' ? 'text' : sql`text collate "C"`, (column) =>
          column.notNull(),
        )
        .addColumn('language', 'varchar(35)', (column) => column.notNull())
        .addColumn('published', 'integer', (column) => column.notNull())
        .addColumn('originals', 'integer', (column) => column.notNull())
        .addColumn('translated', 'integer', (column) => column.notNull())
        .addPrimaryKeyConstraint('published_counts_pk', ['bucket', 'language'])
        .execute();
      await db.schema
        .createTable('counted_statements')
        .addColumn('statement_id', 'integer', (column) => column.primaryKey())
        .addColumn('language', 'varchar(35)', (column) => column.notNull())
        .addColumn('original', 'integer', (column) => column.notNull())
        .addColumn('month', 'varchar(7)', (column) => column.notNull())
        .addColumn('day', 'varchar(10)', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('counted_signatures')
        .addColumn('statement_id', 'integer', (column) => column.notNull())
        .addColumn('organisation_id', 'integer', (column) => column.notNull())
        .addPrimaryKeyConstraint('counted_signatures_pk', ['statement_id', 'organisation_id'])
        .execute();
      await db.schema
        .createTable('counted_translations')
        .addColumn('statement_id', 'integer', (column) => column.notNull())
        .addColumn('language', 'varchar(35)', (column) => column.notNull())
        .addPrimaryKeyConstraint('counted_translations_pk', ['statement_id', 'language'])
        .execute();
      await installCounting(db, engine);
    },
    async down(db: Kysely<any>): Promise<void> {
      await uninstallCounting(db, engine);
      for (const table of [
        'counted_translations',
        'counted_signatures',
        'counted_statements',
        'published_counts',
      ])
        await db.schema.dropTable(table).execute();
    },
  };
}
// biome-ignore-end lint/suspicious/noExplicitAny: migrations describe tables before types exist
