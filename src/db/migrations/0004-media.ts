import type { Kysely } from 'kysely';
import type { DialectHelpers } from '../dialect.ts';

// biome-ignore-start lint/suspicious/noExplicitAny: migrations describe tables before types exist
export function media(helpers: DialectHelpers) {
  const timestamp = helpers.timestampType;
  return {
    async up(db: Kysely<any>): Promise<void> {
      await helpers
        .addIdColumn(db.schema.createTable('media'))
        .addColumn('key', 'varchar(64)', (column) => column.notNull().unique())
        .addColumn('original_name', 'varchar(300)', (column) => column.notNull())
        .addColumn('mime_type', 'varchar(50)', (column) => column.notNull())
        .addColumn('width', 'integer', (column) => column.notNull())
        .addColumn('height', 'integer', (column) => column.notNull())
        .addColumn('bytes', 'integer', (column) => column.notNull())
        .addColumn('alt', 'varchar(1000)', (column) => column.notNull())
        .addColumn('variants', 'text', (column) => column.notNull())
        .addColumn('uploaded_by', 'integer', (column) =>
          column.references('users.id').onDelete('set null'),
        )
        .addColumn('created_at', timestamp, (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('media_created_idx')
        .on('media')
        .columns(['created_at', 'id'])
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('media').execute();
    },
  };
}
// biome-ignore-end lint/suspicious/noExplicitAny: migrations describe tables before types exist
