import type { Engine } from '../db/dialect.ts';
import { postgresSearch } from './postgres-adapter.ts';
import type { SearchAdapter } from './search-adapter.ts';
import { sqliteSearch } from './sqlite-adapter.ts';

export {
  highlightToHtml,
  MAX_QUERY_LENGTH,
  type ParsedQuery,
  parseQuery,
  type QueryPart,
} from './query.ts';
export {
  COUNT_LIMIT,
  type SearchAdapter,
  type SearchFilters,
  type SearchHit,
  type SearchOptions,
  type SearchPage,
} from './search-adapter.ts';

/** The full-text search of one engine. */
export function searchAdapter(engine: Engine): SearchAdapter {
  return engine === 'sqlite' ? sqliteSearch : postgresSearch;
}
