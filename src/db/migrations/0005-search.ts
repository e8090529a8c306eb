import type { Kysely } from 'kysely';
import { searchAdapter } from '../../search/index.ts';
import type { DialectHelpers } from '../dialect.ts';

// biome-ignore-start lint/suspicious/noExplicitAny: migrations describe tables before types exist
/** Full-text search of statements: an index kept by triggers, filled from existing rows. */
export function search(helpers: DialectHelpers) {
  const adapter = searchAdapter(helpers.engine);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await adapter.install(db);
    },
    async down(db: Kysely<any>): Promise<void> {
      await adapter.uninstall(db);
    },
  };
}
// biome-ignore-end lint/suspicious/noExplicitAny: migrations describe tables before types exist
