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
  /** Matches counted at most (default `COUNT_LIMIT`); beyond it the page says "1,000+". */
  countLimit?: number;
}

/**
 * Counting and ranking 90,000 matches is what made a common word slow: a search counts at most
 * this many, ranks them by relevance when that is all of them, and otherwise lists matches
 * newest first, as far as this many.
 */
export const COUNT_LIMIT = 1000;

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
  /** How many statements match, at most the count limit. */
  total: number;
  /** More than `total` match: hits come newest first and only the first `total` can be paged through. */
  totalIsCapped: boolean;
  hits: SearchHit[];
}

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
type AnyDb = Kysely<any>;

/** Everything engine-specific about full-text search: the index (for the migrations) and the query. */
export interface SearchAdapter {
  engine: Engine;
  /** Migration 0005: creates the first index, the triggers that keep it in step, and fills it. */
  install(db: AnyDb): Promise<void>;
  uninstall(db: AnyDb): Promise<void>;
  /** Migration 0007: the index `search` reads (filter columns beside it, newest-first order, phrases). */
  installV2(db: AnyDb): Promise<void>;
  /** Puts the 0005 index back. */
  uninstallV2(db: AnyDb): Promise<void>;
  /** Migration 0014: what a rebuild of the whole index needs to be fast (nothing on SQLite). */
  installV3(db: AnyDb): Promise<void>;
  uninstallV3(db: AnyDb): Promise<void>;
  /** For bulk loads: writes stop updating the index until `resumeIndexing` rebuilds it once. */
  pauseIndexing(db: AnyDb): Promise<void>;
  resumeIndexing(db: AnyDb): Promise<void>;
  search(db: Kysely<Database>, options: SearchOptions): Promise<SearchPage>;
}

/** Highlight sentinels: private control characters that the query parser never lets through. */
export const MARK_OPEN = '\u0001';
export const MARK_CLOSE = '\u0002';
