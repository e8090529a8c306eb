import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { REQUEST_ID_HEADER, requestIdFor } from '../http/create-server.ts';
import { SECURITY_HEADERS } from '../http/security-headers.ts';
import { joinSurrogateKeys } from '../ops/surrogate-keys.ts';
import { FRONT_PAGE_VARY, firstVisitLanguage } from './language-choice.ts';
import { type LanguagePrefixes, rawRequestLanguage } from './language-prefixes.ts';
import { type CachedPage, type PageCache, sitePageKey } from './page-cache.ts';
import { etagMatches } from './send-page.ts';

export interface CachedPageFastPathDeps {
  cache: PageCache;
  prefixes: LanguagePrefixes;
  logger: Logger;
  trustProxy: boolean;
  publicCacheControl: string;
  /** Records the answer in the request-duration histogram, as routed requests are. */
  observe(method: string, route: string, statusCode: number, seconds: number): void;
  /** True once the server is closing: those requests go to Fastify, which answers 503. */
  closing(): boolean;
}

interface HeaderSets {
  ok: string[];
  notModified: string[];
  frontPageOk: string[];
  frontPageNotModified: string[];
}

/** What routing would do before the handler, for a page that is in the cache. */
export type FastPathAnswer = (request: IncomingMessage, response: ServerResponse) => boolean;

/**
 * Answers a GET for a site page already in the page cache straight from the raw request, with the
 * exact headers the routed answer has: a cached hit through Fastify's routing, hooks and reply
 * cost about as much CPU as the rest of the request together. Anything else returns false and is
 * routed as usual: other methods, pages not cached, a first visit to the front page that
 * Accept-Language redirects, a closing server.
 */
export function cachedPageFastPath(deps: CachedPageFastPathDeps): FastPathAnswer {
  const { cache, prefixes, logger } = deps;
  const fixedHeaders = SECURITY_HEADERS.flat();
  // Per page, built once: the headers of a 200, a 304 and the front page's, the request id slot first.
  const headerSets = new WeakMap<CachedPage, HeaderSets>();
  const headersOf = (page: CachedPage): HeaderSets => {
    let sets = headerSets.get(page);
    if (sets === undefined) {
      const keys = joinSurrogateKeys(page.surrogateKeys);
      const validators = [
        REQUEST_ID_HEADER,
        '',
        ...fixedHeaders,
        'etag',
        page.etag,
        'cache-control',
        deps.publicCacheControl,
        'surrogate-key',
        keys.surrogateKey,
        'cache-tag',
        keys.cacheTag,
      ];
      const body = ['content-type', page.contentType, 'content-length', String(page.body.length)];
      const vary = ['vary', FRONT_PAGE_VARY];
      sets = {
        ok: [...validators, ...body],
        notModified: validators,
        frontPageOk: [...validators, ...vary, ...body],
        frontPageNotModified: [...validators, ...vary],
      };
      headerSets.set(page, sets);
    }
    return sets;
  };
  return (request, response) => {
    if (request.method !== 'GET' || deps.closing()) return false;
    const started = performance.now();
    const url = prefixes.rewrite(request);
    const language = rawRequestLanguage(request);
    const frontPage = language === undefined && url === '/';
    if (
      frontPage &&
      firstVisitLanguage(request.headers, prefixes.languages, prefixes.defaultLanguage) !==
        undefined
    )
      return false;
    const page = cache.getSitePage(sitePageKey(language, url));
    if (page?.route === undefined) return false;
    const requestId = requestIdFor(request, deps.trustProxy);
    const sets = headersOf(page);
    const notModified = etagMatches(request.headers['if-none-match'], page.etag);
    const statusCode = notModified ? 304 : 200;
    const headers = frontPage
      ? notModified
        ? sets.frontPageNotModified
        : sets.frontPageOk
      : notModified
        ? sets.notModified
        : sets.ok;
    // writeHead copies the headers out before returning, so the shared array can take this id.
    headers[1] = requestId;
    response.writeHead(statusCode, headers);
    response.end(notModified ? undefined : page.body);
    const seconds = (performance.now() - started) / 1000;
    deps.observe('GET', page.route, statusCode, seconds);
    if (logger.isLevelEnabled('info')) {
      const durationMs = Number((seconds * 1000).toFixed(1));
      logger.info(
        { reqId: requestId, method: 'GET', url, statusCode, durationMs },
        `GET ${url} ${statusCode} ${durationMs.toFixed(1)} ms`,
      );
    }
    return true;
  };
}
