import type { Organisation, OrganisationSummary } from '../organisations/index.ts';
import type {
  Statement,
  StatementListing,
  StatementNeighbours,
  TranslationLink,
} from '../statements/index.ts';
import { cachedExcerpt } from './excerpt-cache.ts';
import { countryName, nativeLanguageName, textDirection } from './languages.ts';
import { formatLongDate, isoDateInZone } from './long-date.ts';
import { formatLabel, localPath, prefixOfLanguage, type SiteState } from './site-state.ts';

export function statementUrl(slug: string): string {
  return `/statements/${encodeURIComponent(slug)}`;
}

export function organisationUrl(slug: string): string {
  return `/organisations/${encodeURIComponent(slug)}`;
}

/** The fields of a statement that a listing shows. */
export function presentStatementSummary(statement: StatementListing, state: SiteState) {
  const { settings } = state;
  return {
    url: localPath(state, statementUrl(statement.slug)),
    title: statement.title,
    language: statement.language,
    dir: textDirection(statement.language),
    lang_attrs: statement.language !== settings.language,
    date_iso: isoDateInZone(statement.publishedAt, settings.timezone),
    date_long: formatLongDate(statement.publishedAt, settings.language, settings.timezone),
    excerpt_html: cachedExcerpt(statement, settings.excerptWords),
    untranslated_note:
      statement.language === settings.language
        ? null
        : formatLabel(state.labels.untranslated_note ?? '', {
            language: languageName(statement.language, settings.language),
          }),
  };
}

function presentSignatory(organisation: OrganisationSummary, state: SiteState) {
  return {
    url: localPath(state, organisationUrl(organisation.slug)),
    name: organisation.name,
    country_name: countryName(organisation.country, state.settings.language),
  };
}

// Building an Intl.DisplayNames costs more than the rest of a listed statement: one per page language.
const languageNames = new Map<string, Intl.DisplayNames>();

/** A language's name in the page's language, e.g. "Arabic" on an English page. */
function languageName(language: string, pageLanguage: string): string {
  let names = languageNames.get(pageLanguage);
  if (names === undefined) {
    names = new Intl.DisplayNames([pageLanguage, 'en'], { type: 'language', fallback: 'code' });
    languageNames.set(pageLanguage, names);
  }
  return names.of(language) ?? language;
}

function presentNeighbour(neighbour: StatementNeighbours['newer'], state: SiteState) {
  if (neighbour === null) return null;
  return {
    url: localPath(state, statementUrl(neighbour.slug)),
    title: neighbour.title,
    language: neighbour.language,
    dir: textDirection(neighbour.language),
  };
}

/** The whole statement page. */
export function presentStatement(
  statement: Statement,
  translations: TranslationLink[],
  neighbours: StatementNeighbours,
  state: SiteState,
) {
  const { settings } = state;
  return {
    statement: {
      title: statement.title,
      language: statement.language,
      dir: textDirection(statement.language),
      date_iso: isoDateInZone(statement.publishedAt, settings.timezone),
      date_long: formatLongDate(statement.publishedAt, settings.language, settings.timezone),
      body_html: statement.bodyHtml,
      signatories: statement.signatories.map((organisation) =>
        presentSignatory(organisation, state),
      ),
      translations: translations.map((translation) => ({
        url: `${prefixOfLanguage(state, translation.language)}${statementUrl(translation.slug)}`,
        language: translation.language,
        language_name: nativeLanguageName(translation.language),
      })),
    },
    neighbours: {
      newer: presentNeighbour(neighbours.newer, state),
      older: presentNeighbour(neighbours.older, state),
    },
  };
}

function websiteLabel(website: string): string {
  const url = new URL(website);
  return `${url.hostname.replace(/^www\./, '')}${url.pathname === '/' ? '' : url.pathname}`;
}

/** An organisation as its own page and the directory show it. */
export function presentOrganisation(organisation: Organisation, state: SiteState) {
  const firstParagraph = /<p>[\s\S]*?<\/p>/.exec(organisation.descriptionHtml)?.[0] ?? '';
  return {
    url: localPath(state, organisationUrl(organisation.slug)),
    name: organisation.name,
    language: organisation.language,
    dir: textDirection(organisation.language),
    country_name: countryName(organisation.country, state.settings.language),
    website: organisation.website,
    website_label: organisation.website === null ? null : websiteLabel(organisation.website),
    description_html: organisation.descriptionHtml,
    summary_html: firstParagraph,
  };
}

/** The directory: organisations grouped by country, countries in the page language's order. */
export function presentDirectory(organisations: Organisation[], state: SiteState) {
  const collator = new Intl.Collator(state.settings.language);
  const groups = new Map<string, Organisation[]>();
  for (const organisation of organisations) {
    const group = groups.get(organisation.country) ?? [];
    group.push(organisation);
    groups.set(organisation.country, group);
  }
  return [...groups.entries()]
    .map(([code, members]) => ({
      code,
      name: countryName(code, state.settings.language),
      organisations: members
        .sort((a, b) => collator.compare(a.name, b.name))
        .map((organisation) => presentOrganisation(organisation, state)),
    }))
    .sort((a, b) => collator.compare(a.name, b.name));
}
