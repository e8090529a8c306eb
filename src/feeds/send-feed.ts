import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CachedPage } from '../site/page-cache.ts';
import { sendPage, setPublicCaching } from '../site/send-page.ts';

/** A rendered feed as the page cache keeps it, with the date its newest entry changed. */
export interface CachedFeed extends CachedPage {
  lastModified: Date | null;
}

export function isCachedFeed(page: CachedPage | undefined): page is CachedFeed {
  return page !== undefined && 'lastModified' in page;
}

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
    setPublicCaching(request, reply, feed);
    return reply.code(304).send();
  }
  return sendPage(request, reply, feed);
}
