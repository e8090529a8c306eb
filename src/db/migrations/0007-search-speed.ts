import type { Kysely } from 'kysely';
import { searchAdapter } from '../../search/index.ts';
import type { DialectHelpers } from '../dialect.ts';

// biome-ignore-start lint/suspicious/noExplicitAny: migrations describe tables before types exist
/** Search at 100,000 statements: filter columns beside the index, newest-first keys, phrase pairs. */
export function searchSpeed(helpers: DialectHelpers) {
  const adapter = searchAdapter(helpers.engine);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await adapter.installV2(db);
    },
    async down(db: Kysely<any>): Promise<void> {
      await adapter.uninstallV2(db);
    },
  };
}
// biome-ignore-end lint/suspicious/noExplicitAny: migrations describe tables before types exist
