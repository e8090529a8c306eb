import type { FastifyInstance } from 'fastify';
import { type Static, Type } from 'typebox';
import type { DatabaseHandle } from '../db/connect.ts';
import {
  LISTING_KEY,
  listingKeys,
  organisationKey,
  PAGES_KEY,
  pageKey,
  setSurrogateKeys,
  statementKey,
  surrogateKeys,
} from '../ops/surrogate-keys.ts';
import {
  findOrganisationBySlug,
  isCountryCode,
  listOrganisations,
} from '../organisations/index.ts';
import { findPageBySlug, listPages } from '../pages/index.ts';
import { highlightToHtml, parseQuery, type SearchFilters, searchAdapter } from '../search/index.ts';
import { isValidLanguageTag } from '../settings/index.ts';
import { periodBounds } from '../site/archive-periods.ts';
import type { SiteStateStore } from '../site/site-state.ts';
import { findPublishedStatementBySlug, findTranslations } from '../statements/index.ts';
import { listPublishedPage, type PublishedFilter } from '../statements/published-page-query.ts';
import {
  presentOrganisation,
  presentPage,
  presentStatement,
  presentStatementSummary,
  publicStatementUrl,
  type UrlContext,
} from './content-presenter.ts';
import { problemResponses } from './content-schemas.ts';
import { decodeCursor, encodeCursor } from './listing-cursor.ts';
import { badParameter, notFound } from './problem.ts';

export interface ContentApiDependencies {
  handle: DatabaseHandle;
  state: SiteStateStore;
  baseUrl: string;
}

const SLUG = Type.String({ pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$', maxLength: 200 });
const MAX_PAGE = 100;

const StatementQuery = Type.Object(
  {
    organisation: Type.Optional(Type.String({ description: 'Slug of a signing organisation.' })),
    country: Type.Optional(
      Type.String({ description: 'ISO 3166-1 alpha-2 code of a signatory’s country.' }),
    ),
    language: Type.Optional(Type.String({ description: 'BCP 47 tag, e.g. es or pt-BR.' })),
    published_after: Type.Optional(
      Type.String({ description: 'ISO 8601 date or date-time; inclusive.' }),
    ),
    published_before: Type.Optional(
      Type.String({ description: 'ISO 8601 date or date-time; exclusive.' }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 20 }),
    cursor: Type.Optional(Type.String({ description: 'next_cursor from the previous page.' })),
  },
  { additionalProperties: false },
);

const SearchQuery = Type.Object(
  {
    q: Type.String({ description: 'Words, and "quoted phrases"; at most 200 characters.' }),
    organisation: Type.Optional(Type.String()),
    country: Type.Optional(Type.String()),
    language: Type.Optional(Type.String()),
    year: Type.Optional(Type.Integer({ minimum: 1900, maximum: 2999 })),
    page: Type.Integer({ minimum: 1, maximum: 1000, default: 1 }),
    per_page: Type.Integer({ minimum: 1, maximum: 50, default: 10 }),
  },
  { additionalProperties: false },
);

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A date filter: a whole day (midnight UTC) or an instant with its offset. */
function parseInstant(parameter: string, raw: string): Date {
  const valid = DATE_ONLY.test(raw) || DATE_TIME.test(raw);
  const date = new Date(DATE_ONLY.test(raw) ? `${raw}T00:00:00Z` : raw);
  if (!valid || Number.isNaN(date.getTime()))
    throw badParameter(
      parameter,
      `must be an ISO 8601 date (2025-03-14) or date-time with offset (2025-03-14T10:30:00Z), got "${raw}".`,
    );
  return date;
}

function parseCountry(raw: string): string {
  const code = raw.toUpperCase();
  if (!isCountryCode(code))
    throw badParameter('country', `must be an ISO 3166-1 alpha-2 code such as DE, got "${raw}".`);
  return code;
}

function parseLanguage(raw: string): string {
  if (!isValidLanguageTag(raw))
    throw badParameter('language', `must be a BCP 47 language tag such as es, got "${raw}".`);
  return raw;
}

/** The public, read-only Content API under /api/v1. */
export async function registerContentApiRoutes(
  api: FastifyInstance,
  deps: ContentApiDependencies,
): Promise<void> {
  const db = deps.handle.db;
  const adapter = searchAdapter(deps.handle.engine);
  const urlContext = async (): Promise<UrlContext> => ({
    baseUrl: deps.baseUrl,
    state: await deps.state.get(),
  });

  const organisationIdOf = async (slug: string): Promise<number> => {
    const organisation = await findOrganisationBySlug(db, slug);
    if (organisation === undefined)
      throw badParameter('organisation', `names no member organisation: "${slug}".`);
    return organisation.id;
  };

  api.addHook('onSend', async (request, reply, payload) => {
    if ((request.method === 'GET' || request.method === 'HEAD') && reply.statusCode === 200)
      reply.header('cache-control', request.server.publicCacheControl);
    return payload;
  });

  api.get<{ Querystring: Static<typeof StatementQuery> }>(
    '/statements',
    {
      schema: {
        summary: 'List published statements',
        description:
          'Newest first. Filters combine; pages are cursor-based and stay stable while new statements are published.',
        tags: ['Content'],
        querystring: StatementQuery,
        response: { 200: Type.Ref('StatementList'), ...problemResponses(400) },
      },
    },
    async (request, reply) => {
      const query = request.query;
      const filter: PublishedFilter = {};
      if (query.organisation !== undefined)
        filter.organisationId = await organisationIdOf(query.organisation);
      if (query.country !== undefined) filter.country = parseCountry(query.country);
      if (query.language !== undefined) filter.language = parseLanguage(query.language);
      if (query.published_after !== undefined)
        filter.publishedFrom = parseInstant('published_after', query.published_after);
      if (query.published_before !== undefined)
        filter.publishedBefore = parseInstant('published_before', query.published_before);
      const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      const rows = await listPublishedPage(db, filter, cursor, query.limit + 1);
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      const nextCursor =
        rows.length > query.limit && last !== undefined
          ? encodeCursor({ publishedAt: last.publishedAt, id: last.id })
          : null;
      let nextUrl: string | null = null;
      if (nextCursor !== null) {
        const params = new URLSearchParams();
        for (const [name, value] of Object.entries(query))
          if (name !== 'cursor' && value !== undefined) params.set(name, String(value));
        params.set('cursor', nextCursor);
        nextUrl = `${deps.baseUrl}/api/v1/statements?${params}`;
      }
      const context = await urlContext();
      setSurrogateKeys(reply, listingKeys(page));
      return {
        data: page.map((statement) => presentStatementSummary(context, statement)),
        next_cursor: nextCursor,
        next_url: nextUrl,
      };
    },
  );

  api.get<{ Params: { slug: string } }>(
    '/statements/:slug',
    {
      schema: {
        summary: 'One published statement',
        tags: ['Content'],
        params: Type.Object({ slug: SLUG }),
        response: { 200: Type.Ref('Statement'), ...problemResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const statement = await findPublishedStatementBySlug(db, request.params.slug);
      if (statement === undefined)
        throw notFound(`No published statement has the slug "${request.params.slug}".`);
      const translations = await findTranslations(db, statement);
      setSurrogateKeys(
        reply,
        surrogateKeys(
          statementKey(statement.id),
          statement.signatories.map((organisation) => organisationKey(organisation.id)),
        ),
      );
      return presentStatement(await urlContext(), statement, translations);
    },
  );

  api.get<{ Querystring: Static<typeof SearchQuery> }>(
    '/search',
    {
      schema: {
        summary: 'Search published statements',
        description:
          'Case- and accent-insensitive full-text search, best matches first (over 1,000 matches: newest first). Quote words to find a phrase.',
        tags: ['Content'],
        querystring: SearchQuery,
        response: { 200: Type.Ref('SearchResult'), ...problemResponses(400) },
      },
    },
    async (request, reply) => {
      const query = request.query;
      const parsed = parseQuery(query.q);
      if (parsed.kind === 'too-long')
        throw badParameter('q', `can be at most ${parsed.max} characters.`);
      const filters: SearchFilters = {};
      if (query.organisation !== undefined)
        filters.organisationId = await organisationIdOf(query.organisation);
      if (query.country !== undefined) filters.country = parseCountry(query.country);
      if (query.language !== undefined) filters.language = parseLanguage(query.language);
      const context = await urlContext();
      if (query.year !== undefined) {
        const { from, to } = periodBounds(context.state.settings.timezone, query.year, null);
        filters.publishedFrom = from;
        filters.publishedTo = to;
      }
      const empty = {
        query: query.q,
        total: 0,
        total_is_estimate: false,
        page: query.page,
        per_page: query.per_page,
        data: [],
      };
      setSurrogateKeys(reply, surrogateKeys(LISTING_KEY));
      if (parsed.kind === 'empty') return empty;
      const result = await adapter.search(db, {
        parts: parsed.parts,
        filters,
        limit: query.per_page,
        offset: (query.page - 1) * query.per_page,
      });
      return {
        ...empty,
        total: result.total,
        total_is_estimate: result.totalIsCapped,
        data: result.hits.map((hit) => ({
          slug: hit.slug,
          title: hit.title,
          language: hit.language,
          url: publicStatementUrl(context, hit),
          published_at: hit.publishedAt.toISOString(),
          snippet_html: highlightToHtml(hit.snippet),
        })),
      };
    },
  );

  api.get(
    '/organisations',
    {
      schema: {
        summary: 'List member organisations',
        tags: ['Content'],
        response: { 200: Type.Ref('OrganisationList') },
      },
    },
    async (_request, reply) => {
      const context = await urlContext();
      const organisations = await listOrganisations(db);
      setSurrogateKeys(reply, surrogateKeys(LISTING_KEY));
      return {
        data: organisations.map((organisation) => presentOrganisation(context, organisation)),
      };
    },
  );

  api.get<{ Params: { slug: string } }>(
    '/organisations/:slug',
    {
      schema: {
        summary: 'One member organisation',
        tags: ['Content'],
        params: Type.Object({ slug: SLUG }),
        response: { 200: Type.Ref('Organisation'), ...problemResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const organisation = await findOrganisationBySlug(db, request.params.slug);
      if (organisation === undefined)
        throw notFound(`No member organisation has the slug "${request.params.slug}".`);
      setSurrogateKeys(reply, surrogateKeys(organisationKey(organisation.id)));
      return presentOrganisation(await urlContext(), organisation);
    },
  );

  api.get(
    '/pages',
    {
      schema: {
        summary: 'List static pages',
        tags: ['Content'],
        response: { 200: Type.Ref('PageList') },
      },
    },
    async (_request, reply) => {
      const context = await urlContext();
      const pages = await listPages(db);
      setSurrogateKeys(
        reply,
        surrogateKeys(
          PAGES_KEY,
          pages.map((page) => pageKey(page.id)),
        ),
      );
      return { data: pages.map((page) => presentPage(context, page)) };
    },
  );

  api.get<{ Params: { slug: string } }>(
    '/pages/:slug',
    {
      schema: {
        summary: 'One static page',
        tags: ['Content'],
        params: Type.Object({ slug: SLUG }),
        response: { 200: Type.Ref('Page'), ...problemResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const page = await findPageBySlug(db, request.params.slug);
      if (page === undefined) throw notFound(`No page has the slug "${request.params.slug}".`);
      setSurrogateKeys(reply, surrogateKeys(pageKey(page.id)));
      return presentPage(await urlContext(), page);
    },
  );
}
