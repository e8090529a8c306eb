import type { Kysely } from 'kysely';

// biome-ignore-start lint/suspicious/noExplicitAny: migrations describe tables before types exist
/**
 * The sitemap at 100,000 statements: covering indexes, so walking every published statement
 * reads index pages only and never a row with its bodies (on SQLite, 50,000 such rows took seconds).
 */
export function sitemapIndexes() {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createIndex('statements_sitemap_idx')
        .on('statements')
        .columns(['status', 'id', 'updated_at', 'translation_of_id', 'language', 'slug'])
        .execute();
      await db.schema
        .createIndex('statements_published_updated_idx')
        .on('statements')
        .columns(['status', 'published_at', 'updated_at'])
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('statements_published_updated_idx').execute();
      await db.schema.dropIndex('statements_sitemap_idx').execute();
    },
  };
}
// biome-ignore-end lint/suspicious/noExplicitAny: migrations describe tables before types exist
