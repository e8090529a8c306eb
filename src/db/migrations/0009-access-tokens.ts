import type { Kysely } from 'kysely';
import type { DialectHelpers } from '../dialect.ts';

// biome-ignore-start lint/suspicious/noExplicitAny: migrations describe tables before types exist
/** Personal access tokens for the Admin API: only a hash of each token is kept. */
export function accessTokens(helpers: DialectHelpers) {
  const timestamp = helpers.timestampType;
  return {
    async up(db: Kysely<any>): Promise<void> {
      await helpers
        .addIdColumn(db.schema.createTable('access_tokens'))
        .addColumn('user_id', 'integer', (column) =>
          column.notNull().references('users.id').onDelete('cascade'),
        )
        .addColumn('name', 'varchar(100)', (column) => column.notNull())
        .addColumn('scope', 'varchar(10)', (column) => column.notNull())
        .addColumn('token_hash', 'varchar(64)', (column) => column.notNull().unique())
        .addColumn('token_hint', 'varchar(16)', (column) => column.notNull())
        .addColumn('created_at', timestamp, (column) => column.notNull())
        .addColumn('expires_at', timestamp)
        .addColumn('last_used_at', timestamp)
        .addColumn('revoked_at', timestamp)
        .execute();
      await db.schema
        .createIndex('access_tokens_user_idx')
        .on('access_tokens')
        .column('user_id')
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('access_tokens').execute();
    },
  };
}
// biome-ignore-end lint/suspicious/noExplicitAny: migrations describe tables before types exist
