import type { Queryable } from '../db/database.ts';
import { listPublishedBetween, publishedRange } from '../statements/index.ts';
import { periodBounds, yearInZone } from './archive-periods.ts';
import { type LanguageAlternate, languageAlternates } from './language-alternates.ts';
import { organisationUrl, statementUrl } from './site-presenter.ts';
import { localPath, prefixOfLanguage, type SiteState, type SiteStateStore } from './site-state.ts';
import {
  latestStatementUpdate,
  listPublishedByIds,
  listPublishedTranslationsOf,
  listSitemapOrganisations,
  listSitemapPages,
  type SitemapStatement,
  type SitemapVersion,
} from './sitemap-repository.ts';
import type { SitemapEntry } from './sitemap-xml.ts';

function later(...dates: (Date | null)[]): Date | null {
  let result: Date | null = null;
  for (const date of dates) if (date !== null && (result === null || date > result)) result = date;
  return result;
}

/** A page that exists in several languages: one entry per language, each naming all of them and x-default. */
function languageVersions(
  path: string,
  languages: string[],
  states: SiteState[],
  lastmod: Date | null,
  absolute: (path: string) => string,
): SitemapEntry[] {
  const [defaultState] = states;
  if (defaultState === undefined) return [];
  const locs = languages.map((language) => ({
    language,
    loc: absolute(localPath({ prefix: prefixOfLanguage(defaultState, language) }, path)),
  }));
  // Like the pages' own head: alternates only when the site speaks more than one language.
  const alternates: LanguageAlternate[] =
    defaultState.languages.length < 2
      ? []
      : [
          ...locs.map(({ language, loc }) => ({ hreflang: language, href: loc })),
          ...(languages.includes(defaultState.defaultLanguage)
            ? [{ hreflang: 'x-default', href: absolute(path) }]
            : []),
        ];
  return locs.map(({ loc }) => ({ loc, lastmod, alternates }));
}

/**
 * Every public page that is not a statement, in each language of the site: front pages, the
 * directory and organisations, static pages, the archive and its years. Paginated pages are left
 * out: their content moves with every publication and each item has its own URL here.
 */
export async function siteEntries(
  db: Queryable,
  store: SiteStateStore,
  baseUrl: string,
): Promise<SitemapEntry[]> {
  const absolute = (path: string) => `${baseUrl}${path}`;
  const defaultState = await store.get();
  const states = await Promise.all(defaultState.languages.map((language) => store.get(language)));
  const languages = defaultState.languages;
  const [statementsChanged, organisations, pages, range] = await Promise.all([
    latestStatementUpdate(db),
    listSitemapOrganisations(db),
    listSitemapPages(db),
    publishedRange(db),
  ]);
  const organisationsChanged = later(
    ...organisations.map((organisation) => organisation.updatedAt),
  );
  const anythingChanged = later(
    statementsChanged,
    organisationsChanged,
    ...pages.map((page) => page.updatedAt),
  );
  const everywhere = (path: string, lastmod: Date | null) =>
    languageVersions(path, languages, states, lastmod, absolute);

  const entries: SitemapEntry[] = [
    ...everywhere('/', statementsChanged ?? anythingChanged),
    ...everywhere('/organisations', organisationsChanged ?? anythingChanged),
  ];
  for (const organisation of organisations)
    entries.push(
      ...everywhere(
        organisationUrl(organisation.slug),
        later(organisation.updatedAt, organisation.latestSignedUpdate),
      ),
    );
  for (const page of pages) entries.push(...everywhere(`/${page.slug}`, page.updatedAt));
  entries.push(...everywhere('/archive', statementsChanged ?? anythingChanged));
  if (range !== null) {
    const { timezone } = defaultState.settings;
    for (
      let year = yearInZone(range.last, timezone);
      year >= yearInZone(range.first, timezone);
      year -= 1
    ) {
      const bounds = periodBounds(timezone, year, null);
      // A year page exists in a language only when that language's listing has a statement in it; one row tells.
      const found = await Promise.all(
        states.map((state) => listPublishedBetween(db, bounds.from, bounds.to, 1, 0, state.view)),
      );
      const withYear = languages.filter((_language, index) => (found[index]?.length ?? 0) > 0);
      if (withYear.length === 0) continue;
      const lastmod = await latestStatementUpdate(db, bounds);
      entries.push(...languageVersions(`/archive/${year}`, withYear, states, lastmod, absolute));
    }
  }
  return entries;
}

/** Sitemap entries of a batch of statements, each at its own language's URL, with its translations. */
export async function statementEntries(
  db: Queryable,
  state: SiteState,
  baseUrl: string,
  statements: SitemapStatement[],
): Promise<SitemapEntry[]> {
  const absolute = (path: string) => `${baseUrl}${path}`;
  const groupOf = (statement: { id: number; translationOfId: number | null }) =>
    statement.translationOfId ?? statement.id;
  // Two index-friendly lookups instead of one OR, which makes both engines scan the table.
  const translations = await listPublishedTranslationsOf(db, [...new Set(statements.map(groupOf))]);
  const known = new Map<number, SitemapVersion>(
    [...statements, ...translations].map((version) => [version.id, version]),
  );
  const originalsElsewhere = [
    ...new Set([...statements, ...translations].map(groupOf).filter((id) => !known.has(id))),
  ];
  for (const original of await listPublishedByIds(db, originalsElsewhere))
    known.set(original.id, original);
  const byGroup = new Map<number, SitemapVersion[]>();
  for (const version of [...known.values()].sort((a, b) =>
    a.language < b.language ? -1 : a.language > b.language ? 1 : 0,
  )) {
    const group = byGroup.get(groupOf(version)) ?? [];
    group.push(version);
    byGroup.set(groupOf(version), group);
  }
  return statements.map((statement) => {
    const group = groupOf(statement);
    const others = (byGroup.get(group) ?? [])
      .filter((version) => version.id !== statement.id)
      .map((version) => ({
        slug: version.slug,
        title: '',
        language: version.language,
        isOriginal: version.id === group,
      }));
    return {
      loc: absolute(
        `${prefixOfLanguage(state, statement.language)}${statementUrl(statement.slug)}`,
      ),
      lastmod: statement.updatedAt,
      alternates: languageAlternates(statement, others, absolute, state),
    };
  });
}
