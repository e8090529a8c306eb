import { absoluteUrls } from '../content/absolute-urls.ts';
import { textDirection } from '../site/languages.ts';
import { organisationUrl, presentStatementSummary, statementUrl } from '../site/site-presenter.ts';
import { localPath, prefixOfLanguage, type SiteState } from '../site/site-state.ts';
import type { StatementListing } from '../statements/index.ts';
import type { FeedDocument, FeedEntry } from './feed-document.ts';
import type { FeedFormat } from './feed-format.ts';
import { feedTitle, feedUrl } from './feed-scope.ts';
import type { FeedSource } from './feed-sources.ts';
import { escapeHtml } from './safe-text.ts';

export interface FeedSite {
  baseUrl: string;
  /** Site-relative URL of the favicon. */
  faviconPath: string;
}

function latest(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}

function presentEntry(statement: StatementListing, state: SiteState, baseUrl: string): FeedEntry {
  const listed = presentStatementSummary(statement, state);
  const url = `${baseUrl}${listed.url}`;
  // The page of a statement in its own language is its canonical address, whichever feed lists it.
  const id = `${baseUrl}${prefixOfLanguage(state, statement.language)}${statementUrl(statement.slug)}`;
  const language = state.settings.language;
  // The front page marks originals shown in place of a translation; the feed says the same.
  const note =
    listed.untranslated_note === null
      ? ''
      : `<p lang="${escapeHtml(language)}" dir="${textDirection(language)}"><em>${escapeHtml(listed.untranslated_note)}</em></p>\n`;
  return {
    id,
    url,
    title: statement.title,
    language: statement.language,
    contentHtml: `${note}${absoluteUrls(statement.bodyHtml, baseUrl, url)}`,
    summaryHtml: absoluteUrls(listed.excerpt_html, baseUrl, url),
    published: statement.publishedAt,
    // A statement saved before its publication date still reads as updated when published.
    updated: latest(statement.updatedAt, statement.publishedAt),
    authors: statement.signatories.map((organisation) => ({
      name: organisation.name,
      url: `${baseUrl}${localPath(state, organisationUrl(organisation.slug))}`,
    })),
  };
}

/** A feed in the state's language: its statements with absolute URLs, its title and links. */
export function buildFeedDocument(
  source: FeedSource,
  state: SiteState,
  site: FeedSite,
): FeedDocument {
  const { baseUrl } = site;
  const entries = source.statements.map((statement) => presentEntry(statement, state, baseUrl));
  const lastModified =
    entries.length === 0
      ? null
      : entries.map((entry) => entry.updated).reduce((newest, date) => latest(newest, date));
  const urlOf = (format: FeedFormat) => feedUrl(baseUrl, state, source.scope, format);
  const urls = { rss: urlOf('rss'), atom: urlOf('atom'), json: urlOf('json') };
  return {
    id: urls.atom,
    title: feedTitle(source.scope, state),
    description: source.description,
    language: state.settings.language,
    homePageUrl: `${baseUrl}${localPath(state, source.pagePath)}`,
    urls,
    faviconUrl: `${baseUrl}${site.faviconPath}`,
    publisher: { name: state.settings.title, url: `${baseUrl}${localPath(state, '/')}` },
    updated: lastModified ?? source.updatedWhenEmpty,
    lastModified,
    entries,
  };
}
