import type { Kysely } from 'kysely';

// biome-ignore-start lint/suspicious/noExplicitAny: migrations describe tables before types exist
export function translationSource() {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .alterTable('statements')
        .addColumn('translation_source_hash', 'varchar(64)')
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('statements').dropColumn('translation_source_hash').execute();
    },
  };
}
// biome-ignore-end lint/suspicious/noExplicitAny: migrations describe tables before types exist
