import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Engine } from '../db/dialect.ts';
import type { QueryPart } from './query.ts';

/** Narrowing of a search; each is optional and already validated. */
export interface SearchFilters {
  organisationId?: number;
  /** ISO 3166-1 code of any signatory's country. */
  country?: string;
  language?: string;
  /** Published in [from, to). */
  publishedFrom?: Date;
  publishedTo?: Date;
}

export interface SearchOptions {
  parts: QueryPart[];
  filters: SearchFilters;
  limit: number;
  offset: number;
}

/** One published statement that matched, best first. */
export interface SearchHit {
  id: number;
  slug: string;
  title: string;
  language: string;
  publishedAt: Date;
  /** Plain text with matches between \u0001 and \u0002; escape it with `highlightToHtml`. */
  snippet: string;
}

export interface SearchPage {
  total: number;
  hits: SearchHit[];
}

/** Everything engine-specific about full-text search: the index (for the migration) and the query. */
export interface SearchAdapter {
  engine: Engine;
  /** Creates the index, the triggers that keep it in step with statements, and fills it. */
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  install(db: Kysely<any>): Promise<void>;
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  uninstall(db: Kysely<any>): Promise<void>;
  search(db: Kysely<Database>, options: SearchOptions): Promise<SearchPage>;
}

/** Highlight sentinels: private control characters that the query parser never lets through. */
export const MARK_OPEN = '\u0001';
export const MARK_CLOSE = '\u0002';
