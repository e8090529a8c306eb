import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DatabaseHandle } from '../db/connect.ts';
import { PublicError } from '../http/public-error.ts';
import {
  LISTING_KEY,
  listingKeys,
  organisationKey,
  pageKey,
  statementKey,
  surrogateKeys,
} from '../ops/surrogate-keys.ts';
import {
  findOrganisationBySlug,
  findOrganisationsByIds,
  listOrganisations,
} from '../organisations/index.ts';
import { findPageBySlug } from '../pages/index.ts';
import {
  countPublishedStatements,
  findNeighbours,
  findPublishedStatementBySlug,
  findRedirectedSlug,
  findTranslations,
  listPublishedStatements,
} from '../statements/index.ts';
import { registerArchiveRoutes } from './archive-routes.ts';
import { languageAlternates } from './language-alternates.ts';
import { registerLanguageChoice } from './language-choice.ts';
import { requestLanguage } from './language-prefixes.ts';
import { buildLayoutContext, type PageContext } from './layout-context.ts';
import { listingStart } from './listing-start.ts';
import { newsArticleJsonLd } from './news-article-json-ld.ts';
import { type CachedPage, type PageCache, sitePageKey } from './page-cache.ts';
import { DESCRIPTION_LENGTH } from './page-metadata.ts';
import { paginate, parsePageNumber } from './page-number.ts';
import { plainText } from './plain-text.ts';
import { sendPage, toCachedPage } from './send-page.ts';
import {
  organisationUrl,
  presentDirectory,
  presentOrganisation,
  presentStatement,
  presentStatementSummary,
  statementUrl,
} from './site-presenter.ts';
import {
  formatLabel,
  localPath,
  prefixOfLanguage,
  type SiteState,
  type SiteStateStore,
} from './site-state.ts';
import { firstImage } from './statement-image.ts';
import type { SummaryFragments } from './summary-fragments.ts';
import type { Theme } from './theme.ts';

export interface SiteDependencies {
  handle: DatabaseHandle;
  theme: Theme;
  state: SiteStateStore;
  cache: PageCache;
  summaries: SummaryFragments;
  baseUrl: string;
}

type Rendered = {
  status: number;
  html: string;
  location?: string;
  /** What the page shows, for a CDN to purge it by. */
  keys?: readonly string[];
};

/** The public site: front page, statements, organisations, static pages, themed errors. */
export async function registerSiteRoutes(
  server: FastifyInstance,
  deps: SiteDependencies,
): Promise<void> {
  const { handle, theme, state: store, cache, summaries, baseUrl } = deps;
  const db = handle.db;

  const layoutContext = (state: SiteState, page: PageContext) =>
    buildLayoutContext(theme, baseUrl, state, page);

  const pageNumberOrFail = (request: FastifyRequest, state: SiteState): number => {
    const page = parsePageNumber((request.query as Record<string, unknown>).page);
    if (page === null) {
      throw new PublicError(
        400,
        state.labels.bad_request_title ?? '',
        state.labels.bad_page_number ?? '',
      );
    }
    return page;
  };

  const pastTheEnd = (state: SiteState, pages: number) =>
    new PublicError(
      404,
      state.labels.not_found_title ?? '',
      formatLabel(state.labels.page_past_end ?? '', { pages }),
    );

  /** Serves a page from the cache, or renders, caches (when 200) and serves it. */
  const serveCached = async (
    request: FastifyRequest,
    reply: FastifyReply,
    render: () => Promise<Rendered>,
  ) => {
    const key = sitePageKey(requestLanguage(request), request.url);
    let page: CachedPage | undefined = cache.get(key);
    if (page === undefined) {
      const generation = cache.generation;
      const rendered = await render();
      if (rendered.location !== undefined)
        return reply.redirect(rendered.location, rendered.status);
      page = {
        ...toCachedPage(rendered.status, rendered.html, undefined, rendered.keys),
        route: request.routeOptions.url,
      };
      if (rendered.status === 200) cache.set(key, page, generation);
    }
    return sendPage(request, reply, page);
  };

  const canonical = (path: string) => `${baseUrl}${path}`;

  server.get('/', (request, reply) =>
    serveCached(request, reply, async () => {
      const state = await store.get(requestLanguage(request));
      const current = pageNumberOrFail(request, state);
      const perPage = state.settings.perPage;
      const total = state.publishedCount;
      const pagination = paginate(localPath(state, '/'), current, total, perPage, '');
      // Before reading: a page far past the end would otherwise walk the whole listing index.
      if (current > pagination.pages) throw pastTheEnd(state, pagination.pages);
      const statements = await listPublishedStatements(db, {
        view: state.view,
        limit: perPage,
        ...(await listingStart(db, state, (current - 1) * perPage)),
      });
      pagination.label = formatLabel(state.labels.page_of ?? '', {
        page: current,
        pages: pagination.pages,
      });
      const title =
        current === 1
          ? null
          : formatLabel(state.labels.statements_page_title ?? '', { page: current });
      const html = await theme.render('home', {
        ...layoutContext(state, {
          kind: 'home',
          section: 'statements',
          title,
          description: plainText(state.introHtml),
          path: '/',
          canonical: canonical(localPath(state, current === 1 ? '/' : `/?page=${current}`)),
          prev: pagination.newer,
          next: pagination.older,
        }),
        statements: summaries.list(statements, state, current === 1 ? 3 : 2),
        pagination,
      });
      return { status: 200, html, keys: listingKeys(statements) };
    }),
  );

  server.get<{ Params: { slug: string } }>('/statements/:slug', (request, reply) =>
    serveCached(request, reply, async () => {
      const state = await store.get(requestLanguage(request));
      const statement = await findPublishedStatementBySlug(db, request.params.slug);
      if (statement === undefined) {
        const movedTo = await findRedirectedSlug(db, request.params.slug);
        if (movedTo !== undefined)
          return { status: 301, html: '', location: localPath(state, statementUrl(movedTo)) };
      }
      if (statement === undefined)
        throw new PublicError(
          404,
          state.labels.not_found_title ?? '',
          state.labels.not_found_body ?? '',
        );
      const [translations, neighbours, signatories] = await Promise.all([
        findTranslations(db, statement),
        findNeighbours(db, statement),
        findOrganisationsByIds(
          db,
          statement.signatories.map(({ id }) => id),
        ),
      ]);
      const summary = presentStatementSummary(statement, state);
      const ownPrefix = prefixOfLanguage(state, statement.language);
      const url = canonical(`${ownPrefix}${statementUrl(statement.slug)}`);
      const description = plainText(summary.excerpt_html, DESCRIPTION_LENGTH);
      const image = firstImage(statement.bodyHtml, baseUrl);
      // A statement imported ahead of its publication date has not been modified before it was published.
      const modifiedAt = new Date(
        Math.max(statement.updatedAt.getTime(), statement.publishedAt.getTime()),
      );
      const html = await theme.render('statement', {
        ...layoutContext(state, {
          kind: 'statement',
          section: 'statements',
          title: statement.title,
          description,
          canonical: url,
          article: {
            publishedAt: statement.publishedAt,
            modifiedAt,
            language: statement.language,
            otherLanguages: translations.map((translation) => translation.language),
            image,
          },
          json_ld: newsArticleJsonLd({
            headline: statement.title,
            description,
            url,
            language: statement.language,
            publishedAt: statement.publishedAt,
            modifiedAt,
            image: image?.url ?? null,
            organisations: signatories.map((organisation) => ({
              name: organisation.name,
              url: canonical(`${ownPrefix}${organisationUrl(organisation.slug)}`),
              website: organisation.website,
              country: organisation.country,
            })),
          }),
          alternates: languageAlternates(statement, translations, canonical, state),
          translationsByLanguage: new Map(
            [{ language: statement.language, slug: statement.slug }, ...translations].map(
              (version) => [
                version.language,
                `${prefixOfLanguage(state, version.language)}${statementUrl(version.slug)}`,
              ],
            ),
          ),
        }),
        ...presentStatement(statement, translations, neighbours, state),
      });
      const keys = surrogateKeys(
        statementKey(statement.id),
        statement.signatories.map((organisation) => organisationKey(organisation.id)),
      );
      return { status: 200, html, keys };
    }),
  );

  server.get('/organisations', (request, reply) =>
    serveCached(request, reply, async () => {
      const state = await store.get(requestLanguage(request));
      const organisations = await listOrganisations(db);
      const html = await theme.render('organisations', {
        ...layoutContext(state, {
          kind: 'organisations',
          section: 'organisations',
          title: state.labels.member_organisations,
          description: state.labels.organisations_intro,
          path: '/organisations',
          canonical: canonical(localPath(state, '/organisations')),
        }),
        countries: presentDirectory(organisations, state),
      });
      return { status: 200, html, keys: surrogateKeys(LISTING_KEY) };
    }),
  );

  server.get<{ Params: { slug: string } }>('/organisations/:slug', (request, reply) =>
    serveCached(request, reply, async () => {
      const state = await store.get(requestLanguage(request));
      const organisation = await findOrganisationBySlug(db, request.params.slug);
      if (organisation === undefined)
        throw new PublicError(
          404,
          state.labels.not_found_title ?? '',
          state.labels.not_found_body ?? '',
        );
      const current = pageNumberOrFail(request, state);
      const perPage = state.settings.perPage;
      const total = await state.counts.get(`organisation ${organisation.id}`, () =>
        countPublishedStatements(db, organisation.id, state.view),
      );
      const path = organisationUrl(organisation.slug);
      const pagination = paginate(localPath(state, path), current, total, perPage, '');
      // Before reading, as on the front page: a page far past the end would walk the whole listing.
      if (current > pagination.pages) throw pastTheEnd(state, pagination.pages);
      const statements = await listPublishedStatements(db, {
        view: state.view,
        organisationId: organisation.id,
        limit: perPage,
        offset: (current - 1) * perPage,
      });
      pagination.label = formatLabel(state.labels.page_of ?? '', {
        page: current,
        pages: pagination.pages,
      });
      const html = await theme.render('organisation', {
        ...layoutContext(state, {
          kind: 'organisation',
          section: 'organisations',
          title: organisation.name,
          description: plainText(organisation.descriptionHtml),
          path,
          canonical: canonical(localPath(state, current === 1 ? path : `${path}?page=${current}`)),
          prev: pagination.newer,
          next: pagination.older,
        }),
        organisation: presentOrganisation(organisation, state),
        statements_heading: formatLabel(state.labels.statements_signed_by ?? '', {
          name: organisation.name,
        }),
        statements: summaries.list(statements, state, 3),
        pagination,
      });
      const keys = surrogateKeys(organisationKey(organisation.id), listingKeys(statements));
      return { status: 200, html, keys };
    }),
  );

  registerArchiveRoutes(server, deps, serveCached, layoutContext);
  registerLanguageChoice(server, store);

  server.get<{ Params: { slug: string } }>('/:slug', (request, reply) =>
    serveCached(request, reply, async () => {
      const state = await store.get(requestLanguage(request));
      const page = await findPageBySlug(db, request.params.slug);
      if (page === undefined)
        throw new PublicError(
          404,
          state.labels.not_found_title ?? '',
          state.labels.not_found_body ?? '',
        );
      const path = `/${page.slug}`;
      const html = await theme.render('page', {
        ...layoutContext(state, {
          kind: 'page',
          section: path === state.settings.aboutPath ? 'about' : 'page',
          title: page.title,
          description: plainText(page.bodyHtml),
          path,
          canonical: canonical(localPath(state, path)),
        }),
        content_page: { title: page.title, body_html: page.bodyHtml },
      });
      return { status: 200, html, keys: surrogateKeys(pageKey(page.id)) };
    }),
  );

  const renderError = async (
    request: FastifyRequest,
    title: string,
    message: string,
  ): Promise<string> => {
    const state = await store.get(requestLanguage(request));
    return theme.render('error', {
      ...layoutContext(state, { kind: 'error', section: 'error', title }),
      error: { title, message },
    });
  };

  server.setNotFoundHandler(async (request, reply) => {
    const state = await store.get(requestLanguage(request));
    const title = state.labels.not_found_title ?? 'Page not found';
    const html = await renderError(request, title, state.labels.not_found_body ?? '');
    return sendPage(request, reply, toCachedPage(404, html));
  });

  server.setErrorHandler(async (error, request, reply) => {
    let status = 500;
    let title = 'Something went wrong';
    let message = 'The page could not be shown because of a problem on our side.';
    if (error instanceof PublicError) {
      ({ status, title } = error);
      message = error.message;
    } else if (
      typeof (error as { statusCode?: unknown }).statusCode === 'number' &&
      (error as { statusCode: number }).statusCode < 500
    ) {
      status = (error as { statusCode: number }).statusCode;
      title = 'That request is not valid';
      message = (error as Error).message;
    } else {
      request.log.error({ err: error }, `Failed to render ${request.method} ${request.url}`);
    }
    try {
      if (status === 500) {
        const state = await store.get(requestLanguage(request));
        title = state.labels.server_error_title ?? title;
        message = state.labels.server_error_body ?? message;
      }
      const html = await renderError(request, title, message);
      return sendPage(request, reply, toCachedPage(status, html));
    } catch (renderFailure) {
      request.log.error({ err: renderFailure }, 'The error page itself could not be rendered');
      return reply.code(status).type('text/plain; charset=utf-8').send(`${title}\n\n${message}\n`);
    }
  });
}
