import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DatabaseHandle } from '../db/connect.ts';
import { PublicError } from '../http/public-error.ts';
import { FEED_KEY, surrogateKeys } from '../ops/surrogate-keys.ts';
import { requestLanguage } from '../site/language-prefixes.ts';
import type { PageCache } from '../site/page-cache.ts';
import { toCachedPage } from '../site/send-page.ts';
import type { SiteState, SiteStateStore } from '../site/site-state.ts';
import type { Theme } from '../site/theme.ts';
import { buildFeedDocument } from './feed-builder.ts';
import { FEED_FORMAT, FEED_FORMATS, type FeedFormat, feedContentType } from './feed-format.ts';
import { renderFeed } from './feed-renderers.ts';
import {
  countryFeedSource,
  type FeedSource,
  organisationFeedSource,
  siteFeedSource,
} from './feed-sources.ts';
import { type CachedFeed, isCachedFeed, sendFeed } from './send-feed.ts';

export interface FeedDependencies {
  handle: DatabaseHandle;
  theme: Theme;
  state: SiteStateStore;
  cache: PageCache;
  baseUrl: string;
}

/** Reads what a feed shows, or undefined when there is no such feed. */
type LoadSource = (state: SiteState) => Promise<FeedSource | undefined>;

/**
 * RSS, Atom and JSON Feed for the site, each organisation and each country with members, in every
 * language of the site (`/es/feed.xml` …, as the language prefixes rewrite URLs before routing).
 */
export async function registerFeedRoutes(
  server: FastifyInstance,
  deps: FeedDependencies,
): Promise<void> {
  const { handle, theme, state: store, cache, baseUrl } = deps;
  const db = handle.db;
  const site = { baseUrl, faviconPath: theme.assetUrl('favicon.svg') };

  /** Renders a feed and keeps it in the page cache, which every content change empties. */
  const renderFeedPage = async (
    key: string,
    language: string | undefined,
    format: FeedFormat,
    load: LoadSource,
  ): Promise<CachedFeed> => {
    const generation = cache.generation;
    const state = await store.get(language);
    const source = await load(state);
    if (source === undefined)
      throw new PublicError(
        404,
        state.labels.not_found_title ?? '',
        state.labels.not_found_body ?? '',
      );
    const document = buildFeedDocument(source, state, site);
    const feed: CachedFeed = {
      ...toCachedPage(
        200,
        renderFeed(document, format),
        feedContentType(format),
        surrogateKeys(FEED_KEY),
      ),
      lastModified: document.lastModified,
    };
    cache.set(key, feed, generation);
    return feed;
  };

  const serveFeed = async (
    request: FastifyRequest,
    reply: FastifyReply,
    format: FeedFormat,
    load: LoadSource,
  ) => {
    const language = requestLanguage(request);
    // The query string never changes a feed, so it must not make new cache entries either.
    const key = `feed|${language ?? ''}|${request.url.split('?')[0]}`;
    const cached = cache.get(key);
    const feed = isCachedFeed(cached) ? cached : await renderFeedPage(key, language, format, load);
    return sendFeed(request, reply, feed);
  };

  for (const format of FEED_FORMATS) {
    const file = `feed.${FEED_FORMAT[format].extension}`;
    server.get(`/${file}`, (request, reply) =>
      serveFeed(request, reply, format, (state) => siteFeedSource(db, state)),
    );
    server.get<{ Params: { slug: string } }>(`/organisations/:slug/${file}`, (request, reply) =>
      serveFeed(request, reply, format, (state) =>
        organisationFeedSource(db, state, request.params.slug),
      ),
    );
    server.get<{ Params: { code: string } }>(`/countries/:code/${file}`, (request, reply) =>
      serveFeed(request, reply, format, (state) =>
        countryFeedSource(db, state, request.params.code),
      ),
    );
  }
}
