import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { requestLanguage } from './language-prefixes.ts';
import { localPath, prefixOfLanguage, type SiteStateStore } from './site-state.ts';

export const LANGUAGE_COOKIE = 'communique_lang';
/** The default-language front page answers by Accept-Language and the language cookie. */
export const FRONT_PAGE_VARY = 'Accept-Language, Cookie';
const ONE_YEAR_SECONDS = 365 * 24 * 3600;

function cookieValue(header: string | undefined, name: string): string | undefined {
  const match = header === undefined ? null : new RegExp(`(?:^|;\\s*)${name}=([^;]*)`).exec(header);
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
}

/** The site language a browser prefers most, by Accept-Language quality, or undefined. */
export function preferredLanguage(
  header: string | undefined,
  languages: string[],
): string | undefined {
  if (header === undefined) return undefined;
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const quality = params
        .map((param) => /^\s*q=([0-9.]+)\s*$/.exec(param)?.[1])
        .find((value) => value !== undefined);
      return {
        tag: tag.trim().toLowerCase(),
        quality: quality === undefined ? 1 : Number(quality),
        index,
      };
    })
    .filter((entry) => entry.tag !== '' && entry.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  for (const { tag } of ranked) {
    const exact = languages.find((language) => language.toLowerCase() === tag);
    if (exact !== undefined) return exact;
    const base = languages.find((language) => language.toLowerCase() === tag.split('-')[0]);
    if (base !== undefined) return base;
  }
  return undefined;
}

/** The language a first visit to the front page is sent to, or undefined to show the default one. */
export function firstVisitLanguage(
  headers: IncomingHttpHeaders,
  languages: string[],
  defaultLanguage: string,
): string | undefined {
  if (cookieValue(headers.cookie, LANGUAGE_COOKIE) !== undefined) return undefined;
  const preferred = preferredLanguage(headers['accept-language'], languages);
  return preferred === defaultLanguage ? undefined : preferred;
}

/** An explicit language choice is remembered; only a first visit to / follows Accept-Language. */
export function registerLanguageChoice(server: FastifyInstance, store: SiteStateStore): void {
  server.get<{ Params: { code: string }; Querystring: { next?: string } }>(
    '/language/:code',
    async (request, reply) => {
      const state = await store.get();
      const language = state.languages.find(
        (candidate) => candidate.toLowerCase() === request.params.code.toLowerCase(),
      );
      if (language === undefined) return reply.callNotFound();
      const next = request.query.next;
      const safeNext =
        typeof next === 'string' &&
        next.startsWith('/') &&
        !next.startsWith('//') &&
        !next.includes('\\');
      reply.header(
        'set-cookie',
        `${LANGUAGE_COOKIE}=${encodeURIComponent(language)}; Path=/; Max-Age=${ONE_YEAR_SECONDS}; SameSite=Lax`,
      );
      reply.header('cache-control', 'no-store');
      return reply.redirect(
        safeNext ? next : localPath({ prefix: prefixOfLanguage(state, language) }, '/'),
        303,
      );
    },
  );

  server.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' || request.url !== '/' || requestLanguage(request) !== undefined)
      return;
    reply.header('vary', FRONT_PAGE_VARY);
    if (cookieValue(request.headers.cookie, LANGUAGE_COOKIE) !== undefined) return;
    const state = await store.get();
    const preferred = firstVisitLanguage(request.headers, state.languages, state.defaultLanguage);
    if (preferred === undefined) return;
    reply.header('cache-control', 'private, no-cache');
    return reply.redirect(localPath({ prefix: prefixOfLanguage(state, preferred) }, '/'), 302);
  });
}
