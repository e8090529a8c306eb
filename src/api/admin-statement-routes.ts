import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { can } from '../accounts/policy.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import type { Queryable } from '../db/database.ts';
import type { SiteStateStore } from '../site/site-state.ts';
import { listStatementsForAdmin } from '../statements/admin-listing.ts';
import { findSignatories } from '../statements/index.ts';
import { StatementInputError, StatementNotFoundError } from '../statements/statement-errors.ts';
import {
  createStatement,
  deleteStatement,
  type EditableStatement,
  type Editor,
  findEditableStatement,
  type StatementDraft,
  transitionStatement,
  updateStatement,
} from '../statements/statement-service.ts';
import {
  AdminStatementListQuery,
  IdParams,
  StatementCreateSchema,
  StatementUpdateSchema,
  TransitionSchema,
} from './admin-schemas.ts';
import { publicStatementUrl } from './content-presenter.ts';
import { problemResponses } from './content-schemas.ts';
import { auditActorOf, identityOf } from './token-authentication.ts';

export interface AdminApiDependencies {
  handle: DatabaseHandle;
  state: SiteStateStore;
  baseUrl: string;
  /** Called after a write so every page cache drops what changed. */
  contentChanged: () => Promise<void>;
}

type StatementInput = Static<typeof StatementCreateSchema>;

function editorOf(request: FastifyRequest): Editor {
  return { user: identityOf(request).user, audit: auditActorOf(request) };
}

/** Organisation slugs to ids, in order; an unknown slug is a field error, like the form's. */
async function organisationIds(db: Queryable, slugs: string[]): Promise<number[]> {
  if (slugs.length === 0) return [];
  const rows = await db
    .selectFrom('organisations')
    .select(['id', 'slug'])
    .where('slug', 'in', slugs)
    .execute();
  const bySlug = new Map(rows.map((row) => [row.slug, row.id]));
  const unknown = slugs.filter((slug) => !bySlug.has(slug));
  if (unknown.length > 0)
    throw new StatementInputError({
      signatories: `No member organisation has the slug ${unknown.map((slug) => `"${slug}"`).join(', ')}.`,
    });
  return slugs.map((slug) => bySlug.get(slug) ?? 0);
}

function parseTime(field: string, raw: string | undefined): Date | null {
  if (raw === undefined) return null;
  const date = new Date(raw);
  if (Number.isNaN(date.getTime()))
    throw new StatementInputError({ [field]: `"${raw}" is not an ISO 8601 date-time.` });
  return date;
}

async function toDraft(
  db: Queryable,
  input: StatementInput,
  fallbackPublishedAt: Date,
): Promise<StatementDraft> {
  return {
    title: input.title,
    slug: input.slug ?? '',
    bodyMd: input.body,
    summaryMd: input.summary ?? '',
    language: input.language,
    publishedAt: parseTime('date', input.published_at) ?? fallbackPublishedAt,
    signatoryIds: await organisationIds(db, input.organisations),
  };
}

/** Statements for the Admin API: everything the back office does, decided by the same policy. */
export async function registerAdminStatementRoutes(
  api: FastifyInstance,
  deps: AdminApiDependencies,
): Promise<void> {
  const { handle } = deps;
  const db = handle.db;

  const present = async (statement: EditableStatement) => {
    const signatories = (await findSignatories(db, [statement.id])).get(statement.id) ?? [];
    const state = await deps.state.get();
    return {
      id: statement.id,
      slug: statement.slug,
      title: statement.title,
      language: statement.language,
      status: statement.status,
      version: statement.version,
      body: statement.bodyMd,
      summary: statement.summaryMd,
      published_at: statement.publishedAt.toISOString(),
      updated_at: statement.updatedAt.toISOString(),
      organisations: signatories.map(({ id, slug, name }) => ({ id, slug, name })),
      url:
        statement.status === 'published'
          ? publicStatementUrl({ baseUrl: deps.baseUrl, state }, statement)
          : null,
    };
  };

  /** A statement the token's owner may see; others are 404 so ids reveal nothing. */
  const visibleStatement = async (request: FastifyRequest, id: number) => {
    const statement = await findEditableStatement(db, id);
    if (statement === undefined || !can(identityOf(request).user, 'statement.view', statement))
      throw new StatementNotFoundError();
    return statement;
  };

  api.get<{ Querystring: Static<typeof AdminStatementListQuery> }>(
    '/statements',
    {
      schema: {
        summary: 'List statements in every state',
        description: 'Contributors see only statements of their organisations.',
        tags: ['Admin: statements'],
        security: [{ accessToken: [] }],
        querystring: AdminStatementListQuery,
        response: { 200: Type.Ref('AdminStatementList'), ...problemResponses(400, 401, 429) },
      },
    },
    async (request) => {
      const { status, language, page, per_page: perPage } = request.query;
      const { rows, total } = await listStatementsForAdmin(
        db,
        { status: status ?? null, organisationId: null, language: language ?? null, page, perPage },
        identityOf(request).user,
      );
      const data = [];
      for (const row of rows) {
        const statement = await findEditableStatement(db, row.id);
        if (statement !== undefined) data.push(await present(statement));
      }
      return { data, total, page, per_page: perPage };
    },
  );

  api.get<{ Params: Static<typeof IdParams> }>(
    '/statements/:id',
    {
      schema: {
        summary: 'One statement, with its Markdown',
        tags: ['Admin: statements'],
        security: [{ accessToken: [] }],
        params: IdParams,
        response: { 200: Type.Ref('AdminStatement'), ...problemResponses(400, 401, 404, 429) },
      },
    },
    async (request) => present(await visibleStatement(request, request.params.id)),
  );

  api.post<{ Body: StatementInput }>(
    '/statements',
    {
      schema: {
        summary: 'Create a draft',
        tags: ['Admin: statements'],
        security: [{ accessToken: [] }],
        body: StatementCreateSchema,
        response: {
          201: Type.Ref('AdminStatement'),
          ...problemResponses(400, 401, 403, 415, 422, 429),
        },
      },
    },
    async (request, reply) => {
      const draft = await toDraft(db, request.body, new Date());
      const id = await createStatement(handle, editorOf(request), draft);
      const created = await findEditableStatement(db, id);
      if (created === undefined) throw new StatementNotFoundError();
      reply.code(201).header('location', `/api/v1/admin/statements/${id}`);
      return present(created);
    },
  );

  api.put<{ Params: Static<typeof IdParams>; Body: Static<typeof StatementUpdateSchema> }>(
    '/statements/:id',
    {
      schema: {
        summary: 'Replace a statement’s content',
        description:
          'Send every field and the version you edited; a 409 means someone saved in between.',
        tags: ['Admin: statements'],
        security: [{ accessToken: [] }],
        params: IdParams,
        body: StatementUpdateSchema,
        response: {
          200: Type.Ref('AdminStatement'),
          ...problemResponses(400, 401, 403, 404, 409, 415, 422, 429),
        },
      },
    },
    async (request) => {
      const current = await visibleStatement(request, request.params.id);
      const draft = await toDraft(db, request.body, current.publishedAt);
      await updateStatement(handle, editorOf(request), current.id, draft, request.body.version);
      if (current.status === 'published') await deps.contentChanged();
      return present(await visibleStatement(request, current.id));
    },
  );

  api.post<{ Params: Static<typeof IdParams>; Body: Static<typeof TransitionSchema> }>(
    '/statements/:id/transitions',
    {
      schema: {
        summary: 'Move a statement along the workflow',
        description:
          'submit, publish, schedule (with schedule_at), return_to_draft, unpublish or archive.',
        tags: ['Admin: statements'],
        security: [{ accessToken: [] }],
        params: IdParams,
        body: TransitionSchema,
        response: {
          200: Type.Ref('AdminStatement'),
          ...problemResponses(400, 401, 403, 404, 409, 415, 422, 429),
        },
      },
    },
    async (request) => {
      const current = await visibleStatement(request, request.params.id);
      const scheduleAt = parseTime('publish_at', request.body.schedule_at);
      await transitionStatement(handle, editorOf(request), current.id, request.body.transition, {
        expectedVersion: request.body.version,
        scheduleAt,
      });
      await deps.contentChanged();
      return present(await visibleStatement(request, current.id));
    },
  );

  api.delete<{ Params: Static<typeof IdParams> }>(
    '/statements/:id',
    {
      schema: {
        summary: 'Delete a statement for good (administrators)',
        tags: ['Admin: statements'],
        security: [{ accessToken: [] }],
        params: IdParams,
        response: {
          204: { description: 'Deleted.', type: 'null' },
          ...problemResponses(400, 401, 403, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const current = await visibleStatement(request, request.params.id);
      await deleteStatement(handle, editorOf(request), current.id);
      await deps.contentChanged();
      return reply.code(204).send();
    },
  );
}
