import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CachedPage } from './page-cache.ts';

const HTML = 'text/html; charset=utf-8';
// Browsers and proxies may keep a page for a minute; our own cache is emptied on every change.
const PUBLIC_CACHE_CONTROL = 'public, max-age=60, stale-while-revalidate=300';

export function toCachedPage(status: number, html: string, contentType = HTML): CachedPage {
  const body = Buffer.from(html, 'utf8');
  const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
  return { status, contentType, body, etag };
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/** Sends a rendered page with its validators; answers 304 when the client already has it. */
export function sendPage(
  request: FastifyRequest,
  reply: FastifyReply,
  page: CachedPage,
): FastifyReply {
  reply.header('etag', page.etag);
  reply.header('cache-control', page.status === 200 ? PUBLIC_CACHE_CONTROL : 'no-cache');
  if (page.status === 200 && etagMatches(request.headers['if-none-match'], page.etag)) {
    return reply.code(304).send();
  }
  return reply.code(page.status).type(page.contentType).send(page.body);
}
