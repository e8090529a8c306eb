import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { can } from '../accounts/policy.ts';
import {
  createOrganisation,
  deleteOrganisation,
  findOrganisationById,
  listOrganisations,
  type Organisation,
  OrganisationForbiddenError,
  OrganisationNotFoundError,
  updateOrganisation,
} from '../organisations/index.ts';
import {
  createPage,
  deletePage,
  findPageById,
  listPages,
  type Page,
  PageForbiddenError,
  PageNotFoundError,
  updatePage,
} from '../pages/index.ts';
import { IdParams, OrganisationInputSchema, PageInputSchema } from './admin-schemas.ts';
import type { AdminApiDependencies } from './admin-statement-routes.ts';
import { problemResponses } from './content-schemas.ts';
import { auditActorOf, identityOf } from './token-authentication.ts';

const editorOf = (request: FastifyRequest) => ({
  user: identityOf(request).user,
  audit: auditActorOf(request),
});

function presentOrganisation(organisation: Organisation) {
  return {
    id: organisation.id,
    slug: organisation.slug,
    name: organisation.name,
    country: organisation.country,
    website: organisation.website,
    language: organisation.language,
    description: organisation.descriptionMd,
    updated_at: organisation.updatedAt.toISOString(),
  };
}

function presentPage(page: Page) {
  return {
    id: page.id,
    slug: page.slug,
    title: page.title,
    body: page.bodyMd,
    updated_at: page.updatedAt.toISOString(),
  };
}

const WRITE_ERRORS = problemResponses(400, 401, 403, 404, 409, 415, 422, 429);

/** Organisations and pages for the Admin API; the services check the policy, as for the back office. */
export async function registerAdminDirectoryRoutes(
  api: FastifyInstance,
  deps: AdminApiDependencies,
): Promise<void> {
  const { handle } = deps;
  const db = handle.db;
  const security = [{ accessToken: [] }];

  const requireStaff = (request: FastifyRequest, kind: 'organisation' | 'page') => {
    const user = identityOf(request).user;
    if (kind === 'organisation' && !can(user, 'organisation.manage'))
      throw new OrganisationForbiddenError();
    if (kind === 'page' && !can(user, 'page.manage')) throw new PageForbiddenError();
  };

  const organisationOr404 = async (id: number) => {
    const organisation = await findOrganisationById(db, id);
    if (organisation === undefined) throw new OrganisationNotFoundError();
    return organisation;
  };

  const pageOr404 = async (id: number) => {
    const page = await findPageById(db, id);
    if (page === undefined) throw new PageNotFoundError();
    return page;
  };

  const organisationDraft = (body: Static<typeof OrganisationInputSchema>) => ({
    name: body.name,
    slug: body.slug ?? '',
    country: body.country,
    website: body.website ?? '',
    language: body.language,
    descriptionMd: body.description ?? '',
  });

  api.get(
    '/organisations',
    {
      schema: {
        summary: 'List organisations',
        tags: ['Admin: organisations'],
        security,
        response: {
          200: Type.Object({ data: Type.Array(Type.Ref('AdminOrganisation')) }),
          ...problemResponses(401, 429),
        },
      },
    },
    async () => ({ data: (await listOrganisations(db)).map(presentOrganisation) }),
  );

  api.get<{ Params: Static<typeof IdParams> }>(
    '/organisations/:id',
    {
      schema: {
        summary: 'One organisation',
        tags: ['Admin: organisations'],
        security,
        params: IdParams,
        response: { 200: Type.Ref('AdminOrganisation'), ...problemResponses(400, 401, 404, 429) },
      },
    },
    async (request) => presentOrganisation(await organisationOr404(request.params.id)),
  );

  api.post<{ Body: Static<typeof OrganisationInputSchema> }>(
    '/organisations',
    {
      schema: {
        summary: 'Add an organisation (editors and administrators)',
        tags: ['Admin: organisations'],
        security,
        body: OrganisationInputSchema,
        response: { 201: Type.Ref('AdminOrganisation'), ...WRITE_ERRORS },
      },
    },
    async (request, reply) => {
      requireStaff(request, 'organisation');
      const id = await createOrganisation(
        handle,
        editorOf(request),
        organisationDraft(request.body),
      );
      await deps.contentChanged();
      reply.code(201).header('location', `/api/v1/admin/organisations/${id}`);
      return presentOrganisation(await organisationOr404(id));
    },
  );

  api.put<{ Params: Static<typeof IdParams>; Body: Static<typeof OrganisationInputSchema> }>(
    '/organisations/:id',
    {
      schema: {
        summary: 'Replace an organisation’s details (editors and administrators)',
        tags: ['Admin: organisations'],
        security,
        params: IdParams,
        body: OrganisationInputSchema,
        response: { 200: Type.Ref('AdminOrganisation'), ...WRITE_ERRORS },
      },
    },
    async (request) => {
      requireStaff(request, 'organisation');
      await organisationOr404(request.params.id);
      await updateOrganisation(
        handle,
        editorOf(request),
        request.params.id,
        organisationDraft(request.body),
      );
      await deps.contentChanged();
      return presentOrganisation(await organisationOr404(request.params.id));
    },
  );

  api.delete<{ Params: Static<typeof IdParams> }>(
    '/organisations/:id',
    {
      schema: {
        summary: 'Delete an organisation that signed nothing (editors and administrators)',
        tags: ['Admin: organisations'],
        security,
        params: IdParams,
        response: { 204: { description: 'Deleted.', type: 'null' }, ...WRITE_ERRORS },
      },
    },
    async (request, reply) => {
      requireStaff(request, 'organisation');
      await deleteOrganisation(handle, editorOf(request), request.params.id);
      await deps.contentChanged();
      return reply.code(204).send();
    },
  );

  api.get(
    '/pages',
    {
      schema: {
        summary: 'List pages',
        tags: ['Admin: pages'],
        security,
        response: {
          200: Type.Object({ data: Type.Array(Type.Ref('AdminPage')) }),
          ...problemResponses(401, 429),
        },
      },
    },
    async () => ({ data: (await listPages(db)).map(presentPage) }),
  );

  api.get<{ Params: Static<typeof IdParams> }>(
    '/pages/:id',
    {
      schema: {
        summary: 'One page',
        tags: ['Admin: pages'],
        security,
        params: IdParams,
        response: { 200: Type.Ref('AdminPage'), ...problemResponses(400, 401, 404, 429) },
      },
    },
    async (request) => presentPage(await pageOr404(request.params.id)),
  );

  api.post<{ Body: Static<typeof PageInputSchema> }>(
    '/pages',
    {
      schema: {
        summary: 'Create a page (editors and administrators)',
        tags: ['Admin: pages'],
        security,
        body: PageInputSchema,
        response: { 201: Type.Ref('AdminPage'), ...WRITE_ERRORS },
      },
    },
    async (request, reply) => {
      requireStaff(request, 'page');
      const { title, slug, body } = request.body;
      const id = await createPage(handle, editorOf(request), {
        title,
        slug: slug ?? '',
        bodyMd: body,
      });
      await deps.contentChanged();
      reply.code(201).header('location', `/api/v1/admin/pages/${id}`);
      return presentPage(await pageOr404(id));
    },
  );

  api.put<{ Params: Static<typeof IdParams>; Body: Static<typeof PageInputSchema> }>(
    '/pages/:id',
    {
      schema: {
        summary: 'Replace a page (editors and administrators)',
        tags: ['Admin: pages'],
        security,
        params: IdParams,
        body: PageInputSchema,
        response: { 200: Type.Ref('AdminPage'), ...WRITE_ERRORS },
      },
    },
    async (request) => {
      requireStaff(request, 'page');
      await pageOr404(request.params.id);
      const { title, slug, body } = request.body;
      await updatePage(handle, editorOf(request), request.params.id, {
        title,
        slug: slug ?? '',
        bodyMd: body,
      });
      await deps.contentChanged();
      return presentPage(await pageOr404(request.params.id));
    },
  );

  api.delete<{ Params: Static<typeof IdParams> }>(
    '/pages/:id',
    {
      schema: {
        summary: 'Delete a page (editors and administrators)',
        tags: ['Admin: pages'],
        security,
        params: IdParams,
        response: { 204: { description: 'Deleted.', type: 'null' }, ...WRITE_ERRORS },
      },
    },
    async (request, reply) => {
      requireStaff(request, 'page');
      await deletePage(handle, editorOf(request), request.params.id);
      await deps.contentChanged();
      return reply.code(204).send();
    },
  );
}
