import type { FastifyInstance } from 'fastify';
import { surrogateKeys } from '../ops/surrogate-keys.ts';
import { requestLanguage } from './language-prefixes.ts';
import type { PageCache } from './page-cache.ts';
import { sendPage, toCachedPage } from './send-page.ts';
import { languagePrefix, type SiteStateStore } from './site-state.ts';

/** Paths no crawler needs: the back office, the language switch (a redirect that sets a cookie), probes. */
const PRIVATE_PATHS = ['/admin', '/language/', '/healthz', '/metrics'];

/** robots.txt: the public site is open; the back office and search results (in every language) are not. */
export function robotsTxt(languages: string[], defaultLanguage: string, baseUrl: string): string {
  const searchPaths = languages.map(
    (language) => `${languagePrefix(language, defaultLanguage)}/search`,
  );
  return [
    'User-agent: *',
    ...[...PRIVATE_PATHS, ...searchPaths].map((path) => `Disallow: ${path}`),
    'Allow: /',
    '',
    `Sitemap: ${baseUrl}/sitemap.xml`,
    '',
  ].join('\n');
}

export interface RobotsDependencies {
  state: SiteStateStore;
  cache: PageCache;
  baseUrl: string;
}

export function registerRobotsRoute(server: FastifyInstance, deps: RobotsDependencies): void {
  server.get('/robots.txt', async (request, reply) => {
    // Crawlers read robots.txt only at the root of a host.
    if (requestLanguage(request) !== undefined) return reply.callNotFound();
    let page = deps.cache.get('robots|/robots.txt');
    if (page === undefined) {
      const generation = deps.cache.generation;
      const state = await deps.state.get();
      page = toCachedPage(
        200,
        robotsTxt(state.languages, state.defaultLanguage, deps.baseUrl),
        'text/plain; charset=utf-8',
        surrogateKeys(),
      );
      deps.cache.set('robots|/robots.txt', page, generation);
    }
    return sendPage(request, reply, page);
  });
}
