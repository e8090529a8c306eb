import type { Kysely } from 'kysely';
import type { DialectHelpers } from '../dialect.ts';

// biome-ignore-start lint/suspicious/noExplicitAny: migrations describe tables before types exist
export function accountsAndAudit(helpers: DialectHelpers) {
  const timestamp = helpers.timestampType;
  return {
    async up(db: Kysely<any>): Promise<void> {
      await helpers
        .addIdColumn(db.schema.createTable('users'))
        .addColumn('email', 'varchar(320)', (column) => column.notNull().unique())
        .addColumn('name', 'varchar(200)', (column) => column.notNull())
        .addColumn('role', 'varchar(20)', (column) => column.notNull())
        .addColumn('password_hash', 'varchar(200)', (column) => column.notNull())
        .addColumn('totp_secret', 'varchar(200)')
        .addColumn('recovery_codes', 'text')
        .addColumn('disabled_at', timestamp)
        .addColumn('created_at', timestamp, (column) => column.notNull())
        .addColumn('updated_at', timestamp, (column) => column.notNull())
        .execute();

      await db.schema
        .createTable('user_organisations')
        .addColumn('user_id', 'integer', (column) =>
          column.notNull().references('users.id').onDelete('cascade'),
        )
        .addColumn('organisation_id', 'integer', (column) =>
          column.notNull().references('organisations.id').onDelete('cascade'),
        )
        .addPrimaryKeyConstraint('user_organisations_pk', ['user_id', 'organisation_id'])
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id', 'varchar(64)', (column) => column.primaryKey())
        .addColumn('user_id', 'integer', (column) =>
          column.notNull().references('users.id').onDelete('cascade'),
        )
        .addColumn('second_factor_pending', 'integer', (column) => column.notNull().defaultTo(0))
        .addColumn('created_at', timestamp, (column) => column.notNull())
        .addColumn('last_seen_at', timestamp, (column) => column.notNull())
        .addColumn('expires_at', timestamp, (column) => column.notNull())
        .addColumn('ip', 'varchar(64)')
        .addColumn('user_agent', 'varchar(300)')
        .execute();
      await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();

      await db.schema
        .createTable('login_throttle')
        .addColumn('key', 'varchar(400)', (column) => column.primaryKey())
        .addColumn('failures', 'integer', (column) => column.notNull())
        .addColumn('window_started_at', timestamp, (column) => column.notNull())
        .addColumn('locked_until', timestamp)
        .execute();

      await helpers
        .addIdColumn(db.schema.createTable('audit_log'))
        .addColumn('at', timestamp, (column) => column.notNull())
        .addColumn('actor_user_id', 'integer', (column) =>
          column.references('users.id').onDelete('set null'),
        )
        .addColumn('actor_label', 'varchar(320)', (column) => column.notNull())
        .addColumn('action', 'varchar(60)', (column) => column.notNull())
        .addColumn('subject_type', 'varchar(40)')
        .addColumn('subject_id', 'integer')
        .addColumn('detail', 'text', (column) => column.notNull())
        .addColumn('ip', 'varchar(64)')
        .execute();
      await db.schema
        .createIndex('audit_log_at_idx')
        .on('audit_log')
        .columns(['at', 'id'])
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      for (const table of [
        'audit_log',
        'login_throttle',
        'sessions',
        'user_organisations',
        'users',
      ]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
// biome-ignore-end lint/suspicious/noExplicitAny: migrations describe tables before types exist
