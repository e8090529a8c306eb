import type { FastifyInstance } from 'fastify';
import type { DatabaseHandle } from '../db/connect.ts';
import { PublicError } from '../http/public-error.ts';
import { LISTING_KEY, surrogateKeys } from '../ops/surrogate-keys.ts';
import { listOrganisations } from '../organisations/index.ts';
import { highlightToHtml, parseQuery, type SearchFilters, searchAdapter } from '../search/index.ts';
import { findSignatories, publishedRange } from '../statements/index.ts';
import { periodBounds } from './archive-periods.ts';
import { requestLanguage } from './language-prefixes.ts';
import { countryName, nativeLanguageName, textDirection } from './languages.ts';
import { buildLayoutContext, type PageContext } from './layout-context.ts';
import { formatLongDate, isoDateInZone } from './long-date.ts';
import { parsePageNumber } from './page-number.ts';
import { pluralLabel } from './plural-label.ts';
import { sendPage, toCachedPage } from './send-page.ts';
import { organisationUrl, statementUrl } from './site-presenter.ts';
import { formatLabel, localPath, type SiteState, type SiteStateStore } from './site-state.ts';
import type { Theme } from './theme.ts';

export interface SearchDependencies {
  handle: DatabaseHandle;
  theme: Theme;
  state: SiteStateStore;
  baseUrl: string;
}

export const RESULTS_PER_PAGE = 10;
const FILTER_NAMES = ['organisation', 'country', 'language', 'year'] as const;
type FilterName = (typeof FILTER_NAMES)[number];
interface Option {
  value: string;
  label: string;
}
interface FilterOptions {
  options: Record<FilterName, Option[]>;
  organisationIds: Map<string, number>;
}

/** The first string of a query-string value (`?q=a&q=b` gives "a"). */
function firstString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

/** `/search?q=`: full-text search of published statements, with filters and pages. */
export async function registerSearchRoutes(
  server: FastifyInstance,
  deps: SearchDependencies,
): Promise<void> {
  const { handle, theme, state: store, baseUrl } = deps;
  const db = handle.db;
  const adapter = searchAdapter(handle.engine);

  const layoutContext = (state: SiteState, page: PageContext) =>
    buildLayoutContext(theme, baseUrl, state, page);

  /** What each filter may be set to: only values that can match something are offered or accepted. */
  const loadFilterOptions = async (state: SiteState): Promise<FilterOptions> => {
    const { language: locale, timezone } = state.settings;
    const collator = new Intl.Collator(locale);
    const [organisations, languages, range] = await Promise.all([
      listOrganisations(db),
      db
        .selectFrom('statements')
        .select('language')
        .distinct()
        .where('status', '=', 'published')
        .execute(),
      publishedRange(db),
    ]);
    const byLabel = (a: Option, b: Option) => collator.compare(a.label, b.label);
    const countries = [...new Set(organisations.map((organisation) => organisation.country))];
    const years: Option[] = [];
    if (range !== null) {
      const first = Number(isoDateInZone(range.first, timezone).slice(0, 4));
      const last = Number(isoDateInZone(range.last, timezone).slice(0, 4));
      for (let year = last; year >= first; year -= 1)
        years.push({ value: String(year), label: String(year) });
    }
    const options = {
      organisation: organisations
        .map((organisation) => ({ value: organisation.slug, label: organisation.name }))
        .sort(byLabel),
      country: countries
        .map((code) => ({ value: code, label: countryName(code, locale) }))
        .sort(byLabel),
      language: languages
        .map(({ language }) => ({ value: language, label: nativeLanguageName(language) }))
        .sort(byLabel),
      year: years,
    };
    return {
      options,
      organisationIds: new Map(
        organisations.map((organisation) => [organisation.slug, organisation.id]),
      ),
    };
  };
  // Keyed by the state object, which the store replaces on every content change.
  const filterOptionsByState = new WeakMap<SiteState, Promise<FilterOptions>>();
  const filterOptions = (state: SiteState): Promise<FilterOptions> => {
    let options = filterOptionsByState.get(state);
    if (options === undefined) {
      options = loadFilterOptions(state);
      filterOptionsByState.set(state, options);
      options.catch(() => filterOptionsByState.delete(state));
    }
    return options;
  };

  server.get('/search', async (request, reply) => {
    const state = await store.get(requestLanguage(request));
    const { labels, settings } = state;
    const raw = request.query as Record<string, unknown>;
    const queryText = firstString(raw.q) ?? '';
    const parsed = parseQuery(queryText);
    if (parsed.kind === 'too-long')
      throw new PublicError(
        400,
        labels.bad_request_title ?? '',
        formatLabel(labels.search_query_too_long ?? '', { max: parsed.max }),
      );
    const current = parsePageNumber(
      firstString(raw.page) ?? (raw.page === undefined ? undefined : ''),
    );
    if (current === null)
      throw new PublicError(400, labels.bad_request_title ?? '', labels.bad_page_number ?? '');

    // Filter values that are not among the options are ignored, as if "Any" were chosen.
    const { options, organisationIds } = await filterOptions(state);
    const chosen: Partial<Record<FilterName, string>> = {};
    for (const name of FILTER_NAMES) {
      const value = firstString(raw[name]);
      if (value !== undefined && options[name].some((option) => option.value === value))
        chosen[name] = value;
    }
    const filters: SearchFilters = { country: chosen.country, language: chosen.language };
    if (chosen.organisation !== undefined)
      filters.organisationId = organisationIds.get(chosen.organisation);
    if (chosen.year !== undefined) {
      const year = Number(chosen.year);
      const { from, to } = periodBounds(settings.timezone, year, null);
      filters.publishedFrom = from;
      filters.publishedTo = to;
    }

    const link = (page: number) => {
      const params = new URLSearchParams({ q: queryText });
      for (const name of FILTER_NAMES) {
        const value = chosen[name];
        if (value !== undefined) params.set(name, value);
      }
      if (page > 1) params.set('page', String(page));
      return localPath(state, `/search?${params.toString()}`);
    };

    let results: unknown[] = [];
    let total = 0;
    let totalIsCapped = false;
    let pagination = null;
    if (parsed.kind === 'terms') {
      const found = await adapter.search(db, {
        parts: parsed.parts,
        filters,
        limit: RESULTS_PER_PAGE,
        offset: (current - 1) * RESULTS_PER_PAGE,
      });
      total = found.total;
      totalIsCapped = found.totalIsCapped;
      const pages = Math.max(1, Math.ceil(total / RESULTS_PER_PAGE));
      if (current > pages)
        throw new PublicError(
          404,
          labels.not_found_title ?? '',
          formatLabel(labels.page_past_end ?? '', { pages }),
        );
      const signatories = await findSignatories(
        db,
        found.hits.map((hit) => hit.id),
      );
      results = found.hits.map((hit) => ({
        url: localPath(state, statementUrl(hit.slug)),
        title: hit.title,
        language: hit.language,
        dir: textDirection(hit.language),
        lang_attrs: hit.language !== settings.language,
        date_iso: isoDateInZone(hit.publishedAt, settings.timezone),
        date_long: formatLongDate(hit.publishedAt, settings.language, settings.timezone),
        signatories: (signatories.get(hit.id) ?? []).map((organisation) => ({
          url: localPath(state, organisationUrl(organisation.slug)),
          name: organisation.name,
        })),
        snippet_html: highlightToHtml(hit.snippet.replace(/\s+/g, ' ').trim()),
      }));
      pagination = {
        current,
        pages,
        newer: current > 1 ? link(current - 1) : null,
        older: current < pages ? link(current + 1) : null,
        label: formatLabel(labels.page_of ?? '', { page: current, pages }),
      };
    }

    const select = (name: FilterName) => ({
      name,
      id: `search-${name}`,
      label: labels[`filter_${name}`] ?? name,
      options: options[name].map((option) => ({
        ...option,
        selected: chosen[name] === option.value,
      })),
    });
    const html = theme.render('search', {
      ...layoutContext(state, {
        kind: 'search',
        section: 'search',
        title:
          parsed.kind === 'terms'
            ? formatLabel(labels.search_results_for ?? '', { query: queryText })
            : labels.search_title,
        path: '/search',
        // Result lists are endless variations of the same statements: not for search engines' indexes.
        robots: 'noindex',
        canonical:
          parsed.kind === 'terms'
            ? `${baseUrl}${link(current)}`
            : `${baseUrl}${localPath(state, '/search')}`,
        prev: pagination?.newer ?? null,
        next: pagination?.older ?? null,
      }),
      search: {
        query: queryText,
        searched: parsed.kind === 'terms',
        heading: formatLabel(labels.search_results_for ?? '', { query: queryText }),
        count_label: totalIsCapped
          ? formatLabel(labels.search_result_count_capped ?? '', {
              count: new Intl.NumberFormat(settings.language).format(total),
            })
          : pluralLabel(labels, 'search_result_count', total, settings.language),
        filters: FILTER_NAMES.map(select),
        results,
      },
      pagination,
    });
    return sendPage(request, reply, toCachedPage(200, html, undefined, surrogateKeys(LISTING_KEY)));
  });
}
