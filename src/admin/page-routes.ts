import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderMarkdown } from '../content/markdown.ts';
import { instantToZonedLocal } from '../content/zoned-time.ts';
import {
  createPage,
  deletePage,
  findPageById,
  listPages,
  type Page,
  type PageDraft,
  type PageEditor,
  PageForbiddenError,
  PageInputError,
  PageInUseError,
  PageNotFoundError,
  pagePath,
  RESERVED_PAGE_SLUGS,
  updatePage,
} from '../pages/index.ts';
import { readSettings } from '../settings/index.ts';
import {
  type AdminDependencies,
  auditActor,
  redirectWithNotice,
  renderAdmin,
} from './admin-context.ts';
import { AdminHttpError } from './admin-http-error.ts';
import { type FormBody, formField } from './form-field.ts';

type Body = FormBody;

function readPageForm(body: Body): PageDraft {
  return {
    title: formField(body, 'title'),
    slug: formField(body, 'slug'),
    bodyMd: formField(body, 'body'),
  };
}

function editorOf(request: FastifyRequest): PageEditor {
  if (request.actor === null) throw new AdminHttpError(401, 'Please sign in again.');
  return { user: request.actor, audit: auditActor(request) };
}

function pageId(raw: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw new AdminHttpError(404, 'There is no such page.');
  return Number(raw);
}

function translateServiceError(error: unknown): never {
  if (error instanceof PageNotFoundError) throw new AdminHttpError(404, error.message);
  if (error instanceof PageForbiddenError) throw new AdminHttpError(403, error.message);
  throw error;
}

/** Static pages such as "About" in the back office: list, write, edit, preview, delete. */
export function registerPageRoutes(admin: FastifyInstance, deps: AdminDependencies): void {
  const db = deps.handle.db;

  const showForm = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values: PageDraft,
    page: Page | null,
    extra: Record<string, unknown> = {},
    status = 200,
  ) => {
    const settings = await readSettings(db);
    return renderAdmin(
      deps,
      request,
      reply,
      'page-edit',
      {
        title: page === null ? 'New page' : `Edit: ${page.title}`,
        page:
          page === null
            ? null
            : {
                id: page.id,
                slug: page.slug,
                path: pagePath(page.slug),
                is_about: settings.aboutPath === pagePath(page.slug),
              },
        values: { title: values.title, slug: values.slug, body: values.bodyMd },
        language: settings.language,
        reserved: RESERVED_PAGE_SLUGS.join(', '),
        ...extra,
      },
      status,
    );
  };

  const valuesOf = (page: Page): PageDraft => ({
    title: page.title,
    slug: page.slug,
    bodyMd: page.bodyMd,
  });

  const loadPage = async (raw: string) => {
    const page = await findPageById(db, pageId(raw));
    if (page === undefined) throw new AdminHttpError(404, 'There is no such page.');
    return page;
  };

  admin.get('/pages', { config: { action: 'page.manage' } }, async (request, reply) => {
    const [pages, settings] = await Promise.all([listPages(db), readSettings(db)]);
    return renderAdmin(deps, request, reply, 'pages', {
      title: 'Pages',
      rows: pages.map((page) => ({
        id: page.id,
        title: page.title,
        path: pagePath(page.slug),
        is_about: settings.aboutPath === pagePath(page.slug),
        updated: instantToZonedLocal(page.updatedAt, settings.timezone).replace('T', ' '),
      })),
    });
  });

  admin.get('/pages/new', { config: { action: 'page.manage' } }, async (request, reply) =>
    showForm(request, reply, { title: '', slug: '', bodyMd: '' }, null),
  );

  admin.post<{ Body: Body }>(
    '/pages',
    { config: { action: 'page.manage' } },
    async (request, reply) => {
      const draft = readPageForm(request.body);
      if (request.body.intent === 'preview')
        return showForm(request, reply, draft, null, {
          preview_html: renderMarkdown(draft.bodyMd),
        });
      try {
        const id = await createPage(deps.handle, editorOf(request), draft);
        await deps.contentChanged();
        return redirectWithNotice(reply, `/admin/pages/${id}`, 'created');
      } catch (error) {
        if (error instanceof PageInputError)
          return showForm(request, reply, draft, null, { errors: error.fields }, 422);
        return translateServiceError(error);
      }
    },
  );

  admin.get<{ Params: { id: string } }>(
    '/pages/:id',
    { config: { action: 'page.manage' } },
    async (request, reply) => {
      const page = await loadPage(request.params.id);
      return showForm(request, reply, valuesOf(page), page);
    },
  );

  admin.post<{ Params: { id: string }; Body: Body }>(
    '/pages/:id',
    { config: { action: 'page.manage' } },
    async (request, reply) => {
      const page = await loadPage(request.params.id);
      const draft = readPageForm(request.body);
      if (request.body.intent === 'preview')
        return showForm(request, reply, draft, page, {
          preview_html: renderMarkdown(draft.bodyMd),
        });
      try {
        await updatePage(deps.handle, editorOf(request), page.id, draft);
        await deps.contentChanged();
        return redirectWithNotice(reply, `/admin/pages/${page.id}`, 'saved');
      } catch (error) {
        if (error instanceof PageInputError)
          return showForm(request, reply, draft, page, { errors: error.fields }, 422);
        return translateServiceError(error);
      }
    },
  );

  admin.post<{ Params: { id: string }; Body: Body }>(
    '/pages/:id/delete',
    { config: { action: 'page.manage' } },
    async (request, reply) => {
      const page = await loadPage(request.params.id);
      try {
        await deletePage(deps.handle, editorOf(request), page.id);
        await deps.contentChanged();
        return redirectWithNotice(reply, '/admin/pages', 'deleted');
      } catch (error) {
        if (error instanceof PageInUseError)
          return showForm(
            request,
            reply,
            valuesOf(page),
            page,
            { delete_error: error.message },
            409,
          );
        return translateServiceError(error);
      }
    },
  );
}
