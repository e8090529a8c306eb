import { countryName, nativeLanguageName } from '../site/languages.ts';
import { organisationUrl } from '../site/site-presenter.ts';
import { formatLabel, localPath, type SiteState } from '../site/site-state.ts';
import { FEED_FORMAT, type FeedFormat } from './feed-format.ts';

/** What a feed covers: the whole site, one organisation's statements, or one country's. */
export type FeedScope =
  | { kind: 'site' }
  | { kind: 'organisation'; slug: string; name: string }
  /** `code` is an ISO 3166-1 alpha-2 code in capitals, as organisations store it. */
  | { kind: 'country'; code: string };

/** The feed's path without language prefix, e.g. `/countries/ie/feed.atom`. */
export function feedPath(scope: FeedScope, format: FeedFormat): string {
  const file = `feed.${FEED_FORMAT[format].extension}`;
  switch (scope.kind) {
    case 'site':
      return `/${file}`;
    case 'organisation':
      return `${organisationUrl(scope.slug)}/${file}`;
    case 'country':
      return `/countries/${scope.code.toLowerCase()}/${file}`;
  }
}

/** The feed's absolute URL in the state's language. */
export function feedUrl(
  baseUrl: string,
  state: Pick<SiteState, 'prefix'>,
  scope: FeedScope,
  format: FeedFormat,
): string {
  return `${baseUrl}${localPath(state, feedPath(scope, format))}`;
}

/** The feed's title, in the state's language; feed readers show it as the subscription's name. */
export function feedTitle(scope: FeedScope, state: SiteState): string {
  const { settings, labels } = state;
  const site = settings.title;
  switch (scope.kind) {
    case 'site':
      // Each language has its own site feed, so a reader subscribed to two can tell them apart.
      return settings.language === state.defaultLanguage
        ? site
        : `${site} (${nativeLanguageName(settings.language)})`;
    case 'organisation':
      return `${formatLabel(labels.statements_signed_by ?? '{name}', { name: scope.name })} · ${site}`;
    case 'country':
      return `${formatLabel(labels.feed_country_title ?? '{country}', {
        country: countryName(scope.code, settings.language),
      })} · ${site}`;
  }
}
