import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  countryOptions,
  countStatementsSignedBy,
  createOrganisation,
  deleteOrganisation,
  englishCountryName,
  findOrganisationById,
  listOrganisationsForAdmin,
  type Organisation,
  type OrganisationDraft,
  type OrganisationEditor,
  OrganisationForbiddenError,
  OrganisationInputError,
  OrganisationInUseError,
  OrganisationNotFoundError,
  updateOrganisation,
} from '../organisations/index.ts';
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

function readOrganisationForm(body: Body): OrganisationDraft {
  return {
    name: formField(body, 'name'),
    slug: formField(body, 'slug'),
    country: formField(body, 'country'),
    website: formField(body, 'website'),
    language: formField(body, 'language'),
    descriptionMd: formField(body, 'description'),
  };
}

function editorOf(request: FastifyRequest): OrganisationEditor {
  if (request.actor === null) throw new AdminHttpError(401, 'Please sign in again.');
  return { user: request.actor, audit: auditActor(request) };
}

function organisationId(raw: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw new AdminHttpError(404, 'There is no such organisation.');
  return Number(raw);
}

function translateServiceError(error: unknown): never {
  if (error instanceof OrganisationNotFoundError) throw new AdminHttpError(404, error.message);
  if (error instanceof OrganisationForbiddenError) throw new AdminHttpError(403, error.message);
  throw error;
}

/** The member organisations in the back office: list, add, edit, delete. */
export function registerOrganisationRoutes(admin: FastifyInstance, deps: AdminDependencies): void {
  const db = deps.handle.db;

  const showForm = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values: OrganisationDraft,
    organisation: Organisation | null,
    extra: Record<string, unknown> = {},
    status = 200,
  ) => {
    const settings = await readSettings(db);
    const countries = countryOptions();
    const chosen = values.country.trim().toUpperCase();
    // A stored code that is no longer offered stays visible, so saving does not silently change it.
    if (chosen !== '' && !countries.some((country) => country.code === chosen))
      countries.unshift({ code: chosen, name: `${englishCountryName(chosen)} (${chosen})` });
    const statementCount =
      organisation === null ? 0 : await countStatementsSignedBy(db, organisation.id);
    return renderAdmin(
      deps,
      request,
      reply,
      'organisation-edit',
      {
        title: organisation === null ? 'New organisation' : `Edit: ${organisation.name}`,
        organisation:
          organisation === null
            ? null
            : {
                id: organisation.id,
                name: organisation.name,
                slug: organisation.slug,
                statement_count: statementCount,
              },
        values: {
          name: values.name,
          slug: values.slug,
          country: chosen,
          website: values.website,
          language: values.language,
          description: values.descriptionMd,
        },
        countries,
        site_languages: settings.languages,
        ...extra,
      },
      status,
    );
  };

  const valuesOf = (organisation: Organisation): OrganisationDraft => ({
    name: organisation.name,
    slug: organisation.slug,
    country: organisation.country,
    website: organisation.website ?? '',
    language: organisation.language,
    descriptionMd: organisation.descriptionMd,
  });

  const loadOrganisation = async (raw: string) => {
    const organisation = await findOrganisationById(db, organisationId(raw));
    if (organisation === undefined) throw new AdminHttpError(404, 'There is no such organisation.');
    return organisation;
  };

  admin.get(
    '/organisations',
    { config: { action: 'organisation.manage' } },
    async (request, reply) => {
      const rows = await listOrganisationsForAdmin(db);
      return renderAdmin(deps, request, reply, 'organisations', {
        title: 'Organisations',
        rows: rows.map((row) => ({
          id: row.id,
          name: row.name,
          slug: row.slug,
          country: row.country,
          country_name: englishCountryName(row.country),
          language: row.language,
          statement_count: row.statementCount,
        })),
      });
    },
  );

  admin.get(
    '/organisations/new',
    { config: { action: 'organisation.manage' } },
    async (request, reply) => {
      const settings = await readSettings(db);
      return showForm(
        request,
        reply,
        {
          name: '',
          slug: '',
          country: '',
          website: '',
          language: settings.language,
          descriptionMd: '',
        },
        null,
      );
    },
  );

  admin.post<{ Body: Body }>(
    '/organisations',
    { config: { action: 'organisation.manage' } },
    async (request, reply) => {
      const draft = readOrganisationForm(request.body);
      try {
        const id = await createOrganisation(deps.handle, editorOf(request), draft);
        await deps.contentChanged();
        return redirectWithNotice(reply, `/admin/organisations/${id}`, 'created');
      } catch (error) {
        if (error instanceof OrganisationInputError)
          return showForm(request, reply, draft, null, { errors: error.fields }, 422);
        return translateServiceError(error);
      }
    },
  );

  admin.get<{ Params: { id: string } }>(
    '/organisations/:id',
    { config: { action: 'organisation.manage' } },
    async (request, reply) => {
      const organisation = await loadOrganisation(request.params.id);
      return showForm(request, reply, valuesOf(organisation), organisation);
    },
  );

  admin.post<{ Params: { id: string }; Body: Body }>(
    '/organisations/:id',
    { config: { action: 'organisation.manage' } },
    async (request, reply) => {
      const organisation = await loadOrganisation(request.params.id);
      const draft = readOrganisationForm(request.body);
      try {
        await updateOrganisation(deps.handle, editorOf(request), organisation.id, draft);
        await deps.contentChanged();
        return redirectWithNotice(reply, `/admin/organisations/${organisation.id}`, 'saved');
      } catch (error) {
        if (error instanceof OrganisationInputError)
          return showForm(request, reply, draft, organisation, { errors: error.fields }, 422);
        return translateServiceError(error);
      }
    },
  );

  admin.post<{ Params: { id: string }; Body: Body }>(
    '/organisations/:id/delete',
    { config: { action: 'organisation.manage' } },
    async (request, reply) => {
      const organisation = await loadOrganisation(request.params.id);
      try {
        await deleteOrganisation(deps.handle, editorOf(request), organisation.id);
        await deps.contentChanged();
        return redirectWithNotice(reply, '/admin/organisations', 'deleted');
      } catch (error) {
        if (error instanceof OrganisationInUseError)
          return showForm(
            request,
            reply,
            valuesOf(organisation),
            organisation,
            { delete_error: error.message },
            409,
          );
        return translateServiceError(error);
      }
    },
  );
}
