import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CachedPage } from '../site/page-cache.ts';
import { sendPage } from '../site/send-page.ts';

/** A rendered feed as the page cache keeps it, with the date its newest entry changed. */
export interface CachedFeed extends CachedPage {
  lastModified: Date | null;
}

export function isCachedFeed(page: CachedPage | undefined): page is CachedFeed {
  return page !== undefined && 'lastModified' in page;
}

// The same as for HTML pages (send-page.ts): short in browsers and proxies, as the page cache is emptied on every change.
const FEED_CACHE_CONTROL = 'public, max-age=60, stale-while-revalidate=300';

/** True when the client's copy, dated by If-Modified-Since, is at least as new as the feed (to the second). */
function notModifiedSince(header: string | undefined, lastModified: Date | null): boolean {
  if (header === undefined || lastModified === null) return false;
  const since = Date.parse(header);
  if (Number.isNaN(since)) return false;
  return Math.floor(lastModified.getTime() / 1000) * 1000 <= since;
}

/**
 * Sends a feed with Last-Modified beside the ETag. As HTTP requires, If-Modified-Since counts only
 * when there is no If-None-Match, which sendPage answers from the ETag.
 */
export function sendFeed(request: FastifyRequest, reply: FastifyReply, feed: CachedFeed) {
  if (feed.lastModified !== null) reply.header('last-modified', feed.lastModified.toUTCString());
  if (
    request.headers['if-none-match'] === undefined &&
    notModifiedSince(request.headers['if-modified-since'], feed.lastModified)
  ) {
    reply.header('etag', feed.etag);
    reply.header('cache-control', FEED_CACHE_CONTROL);
    return reply.code(304).send();
  }
  return sendPage(request, reply, feed);
}
