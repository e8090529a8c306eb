import type { SiteState } from '../site/site-state.ts';
import { FEED_FORMAT, FEED_FORMATS } from './feed-format.ts';
import { type FeedScope, feedTitle, feedUrl } from './feed-scope.ts';

/** A `<link rel="alternate">` by which browsers and readers discover a feed. */
export interface FeedLink {
  type: string;
  title: string;
  href: string;
}

/** What the layout knows about its page: organisation pages are of kind "organisation". */
interface LinkingPage {
  kind?: unknown;
  path?: unknown;
  title?: unknown;
}

const ORGANISATION_PATH = /^\/organisations\/([^/?#]+)$/;

function organisationScope(page: LinkingPage): FeedScope | undefined {
  if (page.kind !== 'organisation' || typeof page.title !== 'string') return undefined;
  const slug = typeof page.path === 'string' ? ORGANISATION_PATH.exec(page.path)?.[1] : undefined;
  if (slug === undefined) return undefined;
  return { kind: 'organisation', slug: decodeURIComponent(slug), name: page.title };
}

/** Every page links its language's site feed; an organisation's page its own feed as well. */
export function feedLinksForPage(state: SiteState, baseUrl: string, page: LinkingPage): FeedLink[] {
  const organisation = organisationScope(page);
  const scopes: FeedScope[] = [{ kind: 'site' }, ...(organisation ? [organisation] : [])];
  return scopes.flatMap((scope) => {
    const title = feedTitle(scope, state);
    return FEED_FORMATS.map((format) => ({
      type: FEED_FORMAT[format].mediaType,
      title: `${title} (${FEED_FORMAT[format].name})`,
      href: feedUrl(baseUrl, state, scope, format),
    }));
  });
}
