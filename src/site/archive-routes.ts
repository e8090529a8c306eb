import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PublicError } from '../http/public-error.ts';
import { LISTING_KEY, listingKeys, surrogateKeys } from '../ops/surrogate-keys.ts';
import {
  countPublishedBetween,
  countPublishedInPeriods,
  listPublishedBetween,
  publishedRange,
} from '../statements/index.ts';
import { monthName, periodBounds, yearInZone } from './archive-periods.ts';
import { requestLanguage } from './language-prefixes.ts';
import type { PageContext } from './layout-context.ts';
import { paginate, parsePageNumber } from './page-number.ts';
import { pluralLabel } from './plural-label.ts';
import type { SiteDependencies } from './site-routes.ts';
import { formatLabel, localPath, type SiteState } from './site-state.ts';

// Newest first, as the year page lists them.
const MONTHS = [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1];

type Rendered = { status: number; html: string; keys: readonly string[] };
type Serve = (
  request: FastifyRequest,
  reply: FastifyReply,
  render: () => Promise<Rendered>,
) => unknown;

/** The archive by year and month, in the site's time zone. */
export function registerArchiveRoutes(
  server: FastifyInstance,
  deps: SiteDependencies,
  serveCached: Serve,
  layoutContext: (state: SiteState, page: PageContext) => Record<string, unknown>,
): void {
  const { handle, theme, state: store, summaries, baseUrl } = deps;
  const db = handle.db;
  const notFound = (state: SiteState) =>
    new PublicError(404, state.labels.not_found_title ?? '', state.labels.not_found_body ?? '');

  const countBetween = (state: SiteState, from: Date, to: Date) =>
    state.counts.get(`${from.toISOString()}/${to.toISOString()}`, () =>
      countPublishedBetween(db, from, to, state.view),
    );

  // A page's periods counted together: two queries instead of two or three per period.
  const countPeriods = (state: SiteState, key: string, periods: { from: Date; to: Date }[]) =>
    state.counts.get(key, () => countPublishedInPeriods(db, periods, state.view));

  const parseYear = (raw: string, state: SiteState) => {
    if (!/^\d{4}$/.test(raw)) throw notFound(state);
    return Number(raw);
  };

  server.get('/archive', (request, reply) =>
    serveCached(request, reply, async () => {
      const state = await store.get(requestLanguage(request));
      const { timezone, language } = state.settings;
      const range = await publishedRange(db);
      const years: { label: string; url: string; count: string }[] = [];
      if (range !== null) {
        const newest = yearInZone(range.last, timezone);
        const all = [];
        for (let year = newest; year >= yearInZone(range.first, timezone); year -= 1)
          all.push(year);
        const counts = await countPeriods(
          state,
          `years ${all.join(',')}`,
          all.map((year) => periodBounds(timezone, year, null)),
        );
        all.forEach((year, index) => {
          const count = counts[index] ?? 0;
          if (count > 0)
            years.push({
              label: String(year),
              url: localPath(state, `/archive/${year}`),
              count: pluralLabel(state.labels, 'archive_count', count, language),
            });
        });
      }
      const title = state.labels.archive_title ?? 'Archive';
      const html = theme.render('archive', {
        ...layoutContext(state, {
          kind: 'archive',
          section: 'archive',
          title,
          path: '/archive',
          canonical: `${baseUrl}${localPath(state, '/archive')}`,
        }),
        heading: title,
        periods: years,
      });
      return { status: 200, html, keys: surrogateKeys(LISTING_KEY) };
    }),
  );

  server.get<{ Params: { year: string } }>('/archive/:year', (request, reply) =>
    serveCached(request, reply, async () => {
      const state = await store.get(requestLanguage(request));
      const { timezone, language } = state.settings;
      const year = parseYear(request.params.year, state);
      const months = [];
      const counts = await countPeriods(
        state,
        `months of ${year}`,
        MONTHS.map((month) => periodBounds(timezone, year, month)),
      );
      for (const [index, month] of MONTHS.entries()) {
        const count = counts[index] ?? 0;
        if (count > 0) {
          months.push({
            label: monthName(year, month, language),
            url: localPath(state, `/archive/${year}/${String(month).padStart(2, '0')}`),
            count: pluralLabel(state.labels, 'archive_count', count, language),
          });
        }
      }
      if (months.length === 0) throw notFound(state);
      const title = formatLabel(state.labels.archive_year_title ?? '{year}', { year });
      const html = theme.render('archive', {
        ...layoutContext(state, {
          kind: 'archive',
          section: 'archive',
          title,
          path: `/archive/${year}`,
          canonical: `${baseUrl}${localPath(state, `/archive/${year}`)}`,
        }),
        heading: title,
        periods: months,
        up: { url: localPath(state, '/archive'), label: state.labels.archive_title },
      });
      return { status: 200, html, keys: surrogateKeys(LISTING_KEY) };
    }),
  );

  server.get<{ Params: { year: string; month: string } }>(
    '/archive/:year/:month',
    (request, reply) =>
      serveCached(request, reply, async () => {
        const state = await store.get(requestLanguage(request));
        const { timezone, language, perPage } = state.settings;
        const year = parseYear(request.params.year, state);
        if (!/^(0[1-9]|1[0-2])$/.test(request.params.month)) throw notFound(state);
        const month = Number(request.params.month);
        const current = parsePageNumber((request.query as Record<string, unknown>).page);
        if (current === null)
          throw new PublicError(
            400,
            state.labels.bad_request_title ?? '',
            state.labels.bad_page_number ?? '',
          );
        const { from, to } = periodBounds(timezone, year, month);
        const total = await countBetween(state, from, to);
        const path = `/archive/${year}/${request.params.month}`;
        const pagination = paginate(localPath(state, path), current, total, perPage, '');
        if (total === 0 || current > pagination.pages) throw notFound(state);
        pagination.label = formatLabel(state.labels.page_of ?? '', {
          page: current,
          pages: pagination.pages,
        });
        const statements = await listPublishedBetween(
          db,
          from,
          to,
          perPage,
          (current - 1) * perPage,
          state.view,
        );
        const title = formatLabel(state.labels.archive_month_title ?? '{month}', {
          month: monthName(year, month, language),
        });
        const html = theme.render('archive', {
          ...layoutContext(state, {
            kind: 'archive',
            section: 'archive',
            title,
            path,
            canonical: `${baseUrl}${localPath(state, current === 1 ? path : `${path}?page=${current}`)}`,
            prev: pagination.newer,
            next: pagination.older,
          }),
          heading: title,
          count: pluralLabel(state.labels, 'archive_count', total, language),
          statements: summaries.list(statements, state, 2),
          pagination,
          up: { url: localPath(state, `/archive/${year}`), label: String(year) },
        });
        return { status: 200, html, keys: listingKeys(statements) };
      }),
  );
}
