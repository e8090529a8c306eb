import type { Kysely } from 'kysely';
import type { DialectHelpers } from '../dialect.ts';

// biome-ignore-start lint/suspicious/noExplicitAny: migrations describe tables before types exist
export function statementWorkflow(helpers: DialectHelpers) {
  const timestamp = helpers.timestampType;
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .alterTable('statements')
        .addColumn('version', 'integer', (column) => column.notNull().defaultTo(1))
        .execute();
      await db.schema
        .alterTable('statements')
        .addColumn('created_by', 'integer', (column) =>
          column.references('users.id').onDelete('set null'),
        )
        .execute();

      await helpers
        .addIdColumn(db.schema.createTable('statement_revisions'))
        .addColumn('statement_id', 'integer', (column) =>
          column.notNull().references('statements.id').onDelete('cascade'),
        )
        .addColumn('number', 'integer', (column) => column.notNull())
        .addColumn('title', 'varchar(500)', (column) => column.notNull())
        .addColumn('slug', 'varchar(200)', (column) => column.notNull())
        .addColumn('body_md', 'text', (column) => column.notNull())
        .addColumn('summary_md', 'text')
        .addColumn('language', 'varchar(35)', (column) => column.notNull())
        .addColumn('published_at', timestamp, (column) => column.notNull())
        .addColumn('signatory_ids', 'text', (column) => column.notNull())
        .addColumn('status', 'varchar(20)', (column) => column.notNull())
        .addColumn('author_user_id', 'integer', (column) =>
          column.references('users.id').onDelete('set null'),
        )
        .addColumn('author_label', 'varchar(320)', (column) => column.notNull())
        .addColumn('created_at', timestamp, (column) => column.notNull())
        .addUniqueConstraint('statement_revisions_number_unique', ['statement_id', 'number'])
        .execute();

      await db.schema
        .createTable('slug_redirects')
        .addColumn('old_slug', 'varchar(200)', (column) => column.primaryKey())
        .addColumn('statement_id', 'integer', (column) =>
          column.notNull().references('statements.id').onDelete('cascade'),
        )
        .addColumn('created_at', timestamp, (column) => column.notNull())
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('slug_redirects').execute();
      await db.schema.dropTable('statement_revisions').execute();
      await db.schema.alterTable('statements').dropColumn('created_by').execute();
      await db.schema.alterTable('statements').dropColumn('version').execute();
    },
  };
}
// biome-ignore-end lint/suspicious/noExplicitAny: migrations describe tables before types exist
