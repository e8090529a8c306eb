import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SITE_KEY, setSurrogateKeys } from '../ops/surrogate-keys.ts';
import type { CachedPage } from './page-cache.ts';

const HTML = 'text/html; charset=utf-8';

export function toCachedPage(
  status: number,
  html: string,
  contentType = HTML,
  surrogateKeys: readonly string[] = [SITE_KEY],
): CachedPage {
  const body = Buffer.from(html, 'utf8');
  const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
  return { status, contentType, body, etag, surrogateKeys };
}

export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/** The caching headers of a public response: shared caches may keep a 200 and purge it by its keys. */
export function setPublicCaching(
  request: FastifyRequest,
  reply: FastifyReply,
  page: Pick<CachedPage, 'status' | 'etag' | 'surrogateKeys'>,
): void {
  reply.header('etag', page.etag);
  reply.header(
    'cache-control',
    page.status === 200 ? request.server.publicCacheControl : 'no-cache',
  );
  if (page.status === 200) setSurrogateKeys(reply, page.surrogateKeys);
}

/** Sends a rendered page with its validators; answers 304 when the client already has it. */
export function sendPage(
  request: FastifyRequest,
  reply: FastifyReply,
  page: CachedPage,
): FastifyReply {
  setPublicCaching(request, reply, page);
  if (page.status === 200 && etagMatches(request.headers['if-none-match'], page.etag)) {
    return reply.code(304).send();
  }
  return reply.code(page.status).type(page.contentType).send(page.body);
}
