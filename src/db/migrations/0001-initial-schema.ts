import type { Kysely } from 'kysely';
import type { DialectHelpers } from '../dialect.ts';

// biome-ignore-start lint/suspicious/noExplicitAny: migrations describe tables before types exist
export function initialSchema(helpers: DialectHelpers) {
  const timestamp = helpers.timestampType;
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('settings')
        .addColumn('key', 'varchar(100)', (column) => column.primaryKey())
        .addColumn('value', 'text', (column) => column.notNull())
        .execute();

      await helpers
        .addIdColumn(db.schema.createTable('organisations'))
        .addColumn('slug', 'varchar(100)', (column) => column.notNull().unique())
        .addColumn('name', 'varchar(300)', (column) => column.notNull())
        .addColumn('country', 'varchar(2)', (column) => column.notNull())
        .addColumn('website', 'varchar(2000)')
        .addColumn('language', 'varchar(35)', (column) => column.notNull())
        .addColumn('description_md', 'text', (column) => column.notNull())
        .addColumn('description_html', 'text', (column) => column.notNull())
        .addColumn('created_at', timestamp, (column) => column.notNull())
        .addColumn('updated_at', timestamp, (column) => column.notNull())
        .execute();

      await helpers
        .addIdColumn(db.schema.createTable('statements'))
        .addColumn('slug', 'varchar(200)', (column) => column.notNull().unique())
        .addColumn('title', 'varchar(500)', (column) => column.notNull())
        .addColumn('body_md', 'text', (column) => column.notNull())
        .addColumn('body_html', 'text', (column) => column.notNull())
        .addColumn('summary_md', 'text')
        .addColumn('summary_html', 'text')
        .addColumn('language', 'varchar(35)', (column) => column.notNull())
        .addColumn('status', 'varchar(20)', (column) => column.notNull())
        .addColumn('published_at', timestamp, (column) => column.notNull())
        .addColumn('translation_of_id', 'integer', (column) =>
          column.references('statements.id').onDelete('set null'),
        )
        .addColumn('created_at', timestamp, (column) => column.notNull())
        .addColumn('updated_at', timestamp, (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('statements_status_published_at_idx')
        .on('statements')
        .columns(['status', 'published_at', 'id'])
        .execute();
      await db.schema
        .createIndex('statements_translation_of_idx')
        .on('statements')
        .column('translation_of_id')
        .execute();

      await db.schema
        .createTable('statement_signatories')
        .addColumn('statement_id', 'integer', (column) =>
          column.notNull().references('statements.id').onDelete('cascade'),
        )
        .addColumn('organisation_id', 'integer', (column) =>
          column.notNull().references('organisations.id').onDelete('cascade'),
        )
        .addColumn('position', 'integer', (column) => column.notNull())
        .addPrimaryKeyConstraint('statement_signatories_pk', ['statement_id', 'organisation_id'])
        .execute();
      await db.schema
        .createIndex('statement_signatories_organisation_idx')
        .on('statement_signatories')
        .columns(['organisation_id', 'statement_id'])
        .execute();

      await helpers
        .addIdColumn(db.schema.createTable('pages'))
        .addColumn('slug', 'varchar(200)', (column) => column.notNull().unique())
        .addColumn('title', 'varchar(500)', (column) => column.notNull())
        .addColumn('body_md', 'text', (column) => column.notNull())
        .addColumn('body_html', 'text', (column) => column.notNull())
        .addColumn('created_at', timestamp, (column) => column.notNull())
        .addColumn('updated_at', timestamp, (column) => column.notNull())
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      for (const table of [
        'pages',
        'statement_signatories',
        'statements',
        'organisations',
        'settings',
      ]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
// biome-ignore-end lint/suspicious/noExplicitAny: migrations describe tables before types exist
