import { absoluteUrls } from '../content/absolute-urls.ts';
import type { Organisation, OrganisationSummary } from '../organisations/index.ts';
import type { Page } from '../pages/index.ts';
import { pagePath } from '../pages/page-service.ts';
import { cachedExcerpt } from '../site/excerpt-cache.ts';
import { organisationUrl, statementUrl } from '../site/site-presenter.ts';
import { prefixOfLanguage, type SiteState } from '../site/site-state.ts';
import type { Statement, StatementListing, TranslationLink } from '../statements/index.ts';

/** What the presenters need to build absolute public URLs. */
export interface UrlContext {
  baseUrl: string;
  state: Pick<SiteState, 'languages' | 'defaultLanguage' | 'settings'>;
}

const absolute = (context: UrlContext, path: string) => `${context.baseUrl}${path}`;

/** HTML whose links and images work wherever a client shows it. */
const portableHtml = (context: UrlContext, html: string, documentUrl: string) =>
  absoluteUrls(html, context.baseUrl, documentUrl);

/** Where a statement lives publicly: under its language's prefix when the site publishes in it. */
export function publicStatementUrl(
  context: UrlContext,
  statement: { slug: string; language: string },
): string {
  return absolute(
    context,
    `${prefixOfLanguage(context.state, statement.language)}${statementUrl(statement.slug)}`,
  );
}

function presentSignatory(context: UrlContext, organisation: OrganisationSummary) {
  return {
    slug: organisation.slug,
    name: organisation.name,
    country: organisation.country,
    url: absolute(context, organisationUrl(organisation.slug)),
  };
}

/** A statement in a list: an explicit field list, never the row. */
export function presentStatementSummary(context: UrlContext, statement: StatementListing) {
  const url = publicStatementUrl(context, statement);
  return {
    id: statement.id,
    slug: statement.slug,
    url,
    title: statement.title,
    language: statement.language,
    summary_html:
      statement.summaryHtml === null ? null : portableHtml(context, statement.summaryHtml, url),
    excerpt_html: portableHtml(
      context,
      cachedExcerpt(statement, context.state.settings.excerptWords),
      url,
    ),
    published_at: statement.publishedAt.toISOString(),
    updated_at: statement.updatedAt.toISOString(),
    organisations: statement.signatories.map((organisation) =>
      presentSignatory(context, organisation),
    ),
  };
}

/** One statement with its whole text and its translations. */
export function presentStatement(
  context: UrlContext,
  statement: Statement,
  translations: TranslationLink[],
) {
  const summary = presentStatementSummary(context, statement);
  return {
    ...summary,
    body_html: portableHtml(context, statement.bodyHtml, summary.url),
    translations: translations.map((translation) => ({
      language: translation.language,
      slug: translation.slug,
      title: translation.title,
      url: publicStatementUrl(context, translation),
      is_original: translation.isOriginal,
    })),
  };
}

export function presentOrganisation(context: UrlContext, organisation: Organisation) {
  return {
    slug: organisation.slug,
    name: organisation.name,
    country: organisation.country,
    website: organisation.website,
    language: organisation.language,
    description_html: portableHtml(
      context,
      organisation.descriptionHtml,
      absolute(context, organisationUrl(organisation.slug)),
    ),
    url: absolute(context, organisationUrl(organisation.slug)),
    updated_at: organisation.updatedAt.toISOString(),
  };
}

export function presentPage(context: UrlContext, page: Page) {
  return {
    slug: page.slug,
    title: page.title,
    body_html: portableHtml(context, page.bodyHtml, absolute(context, pagePath(page.slug))),
    url: absolute(context, pagePath(page.slug)),
    updated_at: page.updatedAt.toISOString(),
  };
}
