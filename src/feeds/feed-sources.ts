import type { Queryable } from '../db/database.ts';
import { findOrganisationBySlug, listOrganisations } from '../organisations/index.ts';
import { countryName } from '../site/languages.ts';
import { plainText } from '../site/plain-text.ts';
import { organisationUrl } from '../site/site-presenter.ts';
import { formatLabel, type SiteState } from '../site/site-state.ts';
import { listPublishedStatements, type StatementListing } from '../statements/index.ts';
import type { FeedScope } from './feed-scope.ts';

/** How many statements a feed carries: enough for a reader that checks daily, small enough to poll. */
export const FEED_ENTRIES = 20;
const DESCRIPTION_LENGTH = 500;

/** What one feed shows, read from the repositories; the builder turns it into a feed document. */
export interface FeedSource {
  scope: FeedScope;
  /** The HTML page the feed follows, without language prefix (a fragment allowed). */
  pagePath: string;
  /** Plain text. */
  description: string;
  /** Newest first, at most FEED_ENTRIES. */
  statements: StatementListing[];
  /** Atom needs an updated date even without entries: when what the feed follows last changed. */
  updatedWhenEmpty: Date;
}

/** Everything the language's front page lists. */
export async function siteFeedSource(db: Queryable, state: SiteState): Promise<FeedSource> {
  const statements = await listPublishedStatements(db, {
    view: state.view,
    limit: FEED_ENTRIES,
    offset: 0,
  });
  // The intro is written in the default language; other languages get the catalog's sentence.
  const intro =
    state.settings.language === state.defaultLanguage
      ? plainText(state.introHtml, DESCRIPTION_LENGTH)
      : '';
  return {
    scope: { kind: 'site' },
    pagePath: '/',
    description:
      intro || formatLabel(state.labels.feed_description ?? '', { site: state.settings.title }),
    statements,
    updatedWhenEmpty: new Date(0),
  };
}

/** What the organisation's page lists, or undefined for an unknown organisation. */
export async function organisationFeedSource(
  db: Queryable,
  state: SiteState,
  slug: string,
): Promise<FeedSource | undefined> {
  const organisation = await findOrganisationBySlug(db, slug);
  if (organisation === undefined) return undefined;
  const statements = await listPublishedStatements(db, {
    view: state.view,
    organisationId: organisation.id,
    limit: FEED_ENTRIES,
    offset: 0,
  });
  const firstParagraph = /<p>[\s\S]*?<\/p>/.exec(organisation.descriptionHtml)?.[0] ?? '';
  return {
    scope: { kind: 'organisation', slug: organisation.slug, name: organisation.name },
    pagePath: organisationUrl(organisation.slug),
    description: plainText(firstParagraph, DESCRIPTION_LENGTH) || organisation.name,
    statements,
    updatedWhenEmpty: organisation.updatedAt,
  };
}

function newestFirst(a: StatementListing, b: StatementListing): number {
  return b.publishedAt.getTime() - a.publishedAt.getTime() || b.id - a.id;
}

/**
 * Statements signed by any member organisation in a country, or undefined when the network has
 * none there. `code` is lower case, as in the URL.
 */
export async function countryFeedSource(
  db: Queryable,
  state: SiteState,
  code: string,
): Promise<FeedSource | undefined> {
  if (!/^[a-z]{2}$/.test(code)) return undefined;
  const country = code.toUpperCase();
  const members = (await listOrganisations(db)).filter(
    (organisation) => organisation.country === country,
  );
  if (members.length === 0) return undefined;
  // The newest statements of the country are among the newest of each member; a joint one appears once.
  const perMember = await Promise.all(
    members.map((organisation) =>
      listPublishedStatements(db, {
        view: state.view,
        organisationId: organisation.id,
        limit: FEED_ENTRIES,
        offset: 0,
      }),
    ),
  );
  const byId = new Map(perMember.flat().map((statement) => [statement.id, statement]));
  const statements = [...byId.values()].sort(newestFirst).slice(0, FEED_ENTRIES);
  const name = countryName(country, state.settings.language);
  return {
    scope: { kind: 'country', code: country },
    pagePath: `/organisations#country-${code}`,
    description: formatLabel(state.labels.feed_country_description ?? '', { country: name }),
    statements,
    updatedWhenEmpty: new Date(Math.max(...members.map((member) => member.updatedAt.getTime()))),
  };
}
