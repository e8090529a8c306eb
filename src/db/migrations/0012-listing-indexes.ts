import type { Kysely } from 'kysely';

// biome-ignore-start lint/suspicious/noExplicitAny: migrations describe tables before types exist
/**
 * Listings and counts at 100,000 statements, decided from index entries instead of rows (on
 * SQLite a row's language sits behind its bodies, in overflow pages):
 * - newest first with the language view's columns: a deep page or a period's count reads no row;
 *   it starts with the columns of the index it replaces, so every query of that one can use it;
 * - translations by original, language and status: whether an original has a published
 *   translation into a language is one index probe.
 */
export function listingIndexes() {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createIndex('statements_listing_idx')
        .on('statements')
        .columns(['status', 'published_at', 'id', 'language', 'translation_of_id'])
        .execute();
      await db.schema.dropIndex('statements_status_published_at_idx').execute();
      await db.schema
        .createIndex('statements_translation_idx')
        .on('statements')
        .columns(['translation_of_id', 'language', 'status'])
        .execute();
      await db.schema.dropIndex('statements_translation_of_idx').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema
        .createIndex('statements_translation_of_idx')
        .on('statements')
        .column('translation_of_id')
        .execute();
      await db.schema.dropIndex('statements_translation_idx').execute();
      await db.schema
        .createIndex('statements_status_published_at_idx')
        .on('statements')
        .columns(['status', 'published_at', 'id'])
        .execute();
      await db.schema.dropIndex('statements_listing_idx').execute();
    },
  };
}
// biome-ignore-end lint/suspicious/noExplicitAny: migrations describe tables before types exist
