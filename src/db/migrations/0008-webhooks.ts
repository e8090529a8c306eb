import type { Kysely } from 'kysely';
import type { DialectHelpers } from '../dialect.ts';

// biome-ignore-start lint/suspicious/noExplicitAny: migrations describe tables before types exist
export function webhooks(helpers: DialectHelpers) {
  const timestamp = helpers.timestampType;
  return {
    async up(db: Kysely<any>): Promise<void> {
      await helpers
        .addIdColumn(db.schema.createTable('webhooks'))
        .addColumn('url', 'varchar(2000)', (column) => column.notNull())
        .addColumn('description', 'varchar(500)', (column) => column.notNull())
        .addColumn('events', 'varchar(500)', (column) => column.notNull())
        .addColumn('active', 'integer', (column) => column.notNull())
        .addColumn('secret_sealed', 'varchar(500)', (column) => column.notNull())
        .addColumn('created_by', 'integer', (column) =>
          column.references('users.id').onDelete('set null'),
        )
        .addColumn('created_at', timestamp, (column) => column.notNull())
        .addColumn('updated_at', timestamp, (column) => column.notNull())
        .execute();

      // No foreign key to statements: an unpublished-then-deleted statement's event must still go out.
      await db.schema
        .createTable('webhook_events')
        .addColumn('id', 'varchar(36)', (column) => column.primaryKey())
        .addColumn('event', 'varchar(50)', (column) => column.notNull())
        .addColumn('statement_id', 'integer')
        .addColumn('payload', helpers.textType, (column) => column.notNull())
        .addColumn('occurred_at', timestamp, (column) => column.notNull())
        .execute();

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', 'varchar(36)', (column) => column.primaryKey())
        .addColumn('webhook_id', 'integer', (column) =>
          column.notNull().references('webhooks.id').onDelete('cascade'),
        )
        .addColumn('event_id', 'varchar(36)', (column) =>
          column.notNull().references('webhook_events.id').onDelete('cascade'),
        )
        .addColumn('status', 'varchar(20)', (column) => column.notNull())
        .addColumn('attempts', 'integer', (column) => column.notNull())
        .addColumn('next_attempt_at', timestamp, (column) => column.notNull())
        .addColumn('lease_token', 'varchar(36)')
        .addColumn('lease_until', timestamp)
        .addColumn('last_attempt_at', timestamp)
        .addColumn('last_status_code', 'integer')
        .addColumn('last_error', 'varchar(1000)')
        .addColumn('completed_at', timestamp)
        .addColumn('created_at', timestamp, (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_due_idx')
        .on('webhook_deliveries')
        .columns(['status', 'next_attempt_at'])
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_webhook_idx')
        .on('webhook_deliveries')
        .columns(['webhook_id', 'created_at'])
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_event_idx')
        .on('webhook_deliveries')
        .column('event_id')
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('webhook_deliveries').execute();
      await db.schema.dropTable('webhook_events').execute();
      await db.schema.dropTable('webhooks').execute();
    },
  };
}
// biome-ignore-end lint/suspicious/noExplicitAny: migrations describe tables before types exist
