/** A rendered response kept in memory. */
export interface CachedPage {
  status: number;
  contentType: string;
  body: Buffer;
  etag: string;
  /** What the page shows, as surrogate keys a CDN can purge by (see src/ops/surrogate-keys.ts). */
  surrogateKeys: readonly string[];
  /** The route pattern that rendered it; set on site pages, which a hit may answer before routing. */
  route?: string;
}

/** How the cache has done since start, for metrics. */
export interface PageCacheStats {
  hits: number;
  misses: number;
  entries: number;
  capacity: number;
}

/** Rendered pages by URL, least recently used evicted first, emptied on any content change. */
export class PageCache {
  readonly #entries = new Map<string, CachedPage>();
  readonly #capacity: number;
  #hits = 0;
  #misses = 0;
  #generation = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(url: string): CachedPage | undefined {
    const entry = this.#entries.get(url);
    if (entry === undefined) {
      this.#misses += 1;
      return undefined;
    }
    return this.#hit(url, entry);
  }

  #hit(key: string, entry: CachedPage): CachedPage {
    this.#hits += 1;
    // Re-inserting marks the entry as most recently used.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  /**
   * A site page for answering before routing, counted as a hit when found; a miss is not counted,
   * since the routed request that follows looks the page up again.
   */
  getSitePage(key: string): CachedPage | undefined {
    const entry = this.#entries.get(key);
    if (entry?.route === undefined) return undefined;
    return this.#hit(key, entry);
  }

  /** Changes on every clear: take it before reading the data a page is rendered from. */
  get generation(): number {
    return this.#generation;
  }

  /** Keeps a page unless the cache was cleared since `generation`: its data may predate that change. */
  set(url: string, page: CachedPage, generation: number): void {
    if (this.#capacity === 0 || generation !== this.#generation) return;
    this.#entries.delete(url);
    this.#entries.set(url, page);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  clear(): void {
    this.#generation += 1;
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  stats(): PageCacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      entries: this.#entries.size,
      capacity: this.#capacity,
    };
  }
}

/** The cache key of a site page: its language (from the URL prefix) and its normalised URL. */
export function sitePageKey(language: string | undefined, url: string): string {
  return `${language ?? ''}|${pageCacheKey(url)}`;
}

/** One cache entry per page whatever else is in the query string, so `?utm_source=…` cannot flood the cache. */
export function pageCacheKey(url: string): string {
  const question = url.indexOf('?');
  if (question === -1) return url;
  const page = new URLSearchParams(url.slice(question + 1)).get('page');
  const path = url.slice(0, question);
  return page === null ? path : `${path}?page=${page}`;
}
