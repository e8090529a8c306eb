import type { FastifyReply } from 'fastify';
import type { CdnConfig } from '../config.ts';

/**
 * Surrogate keys name what a public response shows, so a CDN can drop exactly the responses a
 * change affects: every response carries `site`; the rest are listed in the README.
 */
export const SITE_KEY = 'site';
/** Pages that list statements or organisations: the front page, archive, organisation pages, search. */
export const LISTING_KEY = 'listing';
export const FEED_KEY = 'feed';
export const SITEMAP_KEY = 'sitemap';
/** The list of static pages (Content API). */
export const PAGES_KEY = 'pages';

export const statementKey = (id: number) => `statement-${id}`;
export const organisationKey = (id: number) => `organisation-${id}`;
export const pageKey = (id: number) => `page-${id}`;

/** `site` first, then the given keys once each, in order. */
export function surrogateKeys(...keys: (string | readonly string[])[]): string[] {
  return [...new Set([SITE_KEY, ...keys.flat()])];
}

/** Keys of a page that lists statements; organisation changes purge `listing`, so signatories need no keys here. */
export function listingKeys(statements: readonly { id: number }[]): string[] {
  return surrogateKeys(
    LISTING_KEY,
    statements.map((statement) => statementKey(statement.id)),
  );
}

/** Browsers keep a public page a minute; shared caches as configured, and stale while refreshing or failing. */
export function publicCacheControl(cdn: CdnConfig): string {
  return [
    'public',
    'max-age=60',
    `s-maxage=${cdn.maxAgeSeconds}`,
    `stale-while-revalidate=${cdn.staleWhileRevalidateSeconds}`,
    `stale-if-error=${cdn.staleIfErrorSeconds}`,
  ].join(', ');
}

// A cached page sends the same keys on every hit: join them once per page.
const joinedKeys = new WeakMap<readonly string[], { surrogateKey: string; cacheTag: string }>();

/** The two header values of a page's keys, joined once per page. */
export function joinSurrogateKeys(keys: readonly string[]): {
  surrogateKey: string;
  cacheTag: string;
} {
  let values = joinedKeys.get(keys);
  if (values === undefined) {
    values = { surrogateKey: keys.join(' '), cacheTag: keys.join(',') };
    joinedKeys.set(keys, values);
  }
  return values;
}

/**
 * Fastly and Varnish read space-separated `Surrogate-Key`; Cloudflare and Akamai read
 * comma-separated `Cache-Tag`: both carry the same keys.
 */
export function setSurrogateKeys(reply: FastifyReply, keys: readonly string[]): void {
  if (keys.length === 0) return;
  const values = joinSurrogateKeys(keys);
  reply.header('surrogate-key', values.surrogateKey);
  reply.header('cache-tag', values.cacheTag);
}
