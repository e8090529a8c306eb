import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { can } from '../accounts/policy.ts';
import type { User } from '../accounts/user.ts';
import { renderMarkdown } from '../content/markdown.ts';
import { instantToZonedLocal, zonedLocalToInstant } from '../content/zoned-time.ts';
import type { Queryable } from '../db/database.ts';
import { mediaLibraryPage } from '../media/media-library.ts';
import { listOrganisations, type Organisation } from '../organisations/index.ts';
import { readSettings, type SiteSettings } from '../settings/index.ts';
import { listStatementsForAdmin } from '../statements/admin-listing.ts';
import { listRevisions } from '../statements/revision-repository.ts';
import { isStatementStatus, STATEMENT_STATUSES } from '../statements/statement.ts';
import {
  StatementConflictError,
  StatementForbiddenError,
  StatementInputError,
  StatementNotFoundError,
} from '../statements/statement-errors.ts';
import {
  createStatement,
  deleteStatement,
  type EditableStatement,
  type Editor,
  findEditableStatement,
  restoreRevision,
  type StatementDraft,
  transitionStatement,
  updateStatement,
} from '../statements/statement-service.ts';
import {
  createTranslation,
  listTranslationVersions,
  markTranslationCurrent,
} from '../statements/translation-service.ts';
import { isTransition, TRANSITION_RULES, transitionsFrom } from '../statements/workflow.ts';
import {
  type AdminDependencies,
  auditActor,
  redirectWithNotice,
  renderAdmin,
} from './admin-context.ts';
import { AdminHttpError } from './admin-http-error.ts';
import { revisionDiff } from './revision-diff.ts';
import { readStatementForm, readVersion, SIGNATORY_SLOTS } from './statement-form.ts';

const PER_PAGE = 25;
const MEDIA_PICKER_SIZE = 8;
// Routes on one statement are gated by 'statement.list'; the statement itself is then checked against the policy.
type Body = Record<string, unknown>;

function signedIn(request: FastifyRequest): User {
  if (request.actor === null) throw new AdminHttpError(401, 'Please sign in again.');
  return request.actor;
}

function editorOf(request: FastifyRequest): Editor {
  return { user: signedIn(request), audit: auditActor(request) };
}

function statementId(raw: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw new AdminHttpError(404, 'There is no such statement.');
  return Number(raw);
}

function languageOptions(settings: SiteSettings, current: string) {
  const names = new Intl.DisplayNames(['en'], { type: 'language' });
  const codes = [
    ...new Set([...settings.languages, settings.language, current].filter((code) => code !== '')),
  ];
  return codes.map((code) => ({ code, name: `${names.of(code) ?? code} (${code})` }));
}

function statusLabel(status: string): string {
  return (
    {
      draft: 'Draft',
      submitted: 'Awaiting review',
      scheduled: 'Scheduled',
      published: 'Published',
      unpublished: 'Unpublished',
      archived: 'Archived',
    }[status] ?? status
  );
}

/** Which language versions exist, which are outdated, and which of the site's languages are missing. */
async function translationContext(
  db: Queryable,
  user: User,
  settings: SiteSettings,
  statement: EditableStatement,
) {
  const versions = await listTranslationVersions(db, statement.id);
  const present = new Set(versions.map((version) => version.language));
  const names = new Intl.DisplayNames(['en'], { type: 'language' });
  const self = versions.find((version) => version.id === statement.id);
  return {
    versions: versions.map((version) => ({
      ...version,
      name: names.of(version.language) ?? version.language,
      current: version.id === statement.id,
      status_label: statusLabel(version.status),
    })),
    missing: can(user, 'statement.create')
      ? settings.languages
          .filter((language) => !present.has(language))
          .map((language) => ({ code: language, name: names.of(language) ?? language }))
      : [],
    self_outdated: self?.outdated ?? false,
  };
}

/** Statements in the back office: list, write, edit, preview, workflow, revisions. */
export function registerStatementRoutes(admin: FastifyInstance, deps: AdminDependencies): void {
  const db = deps.handle.db;

  const formContext = async (
    user: User,
    settings: SiteSettings,
    organisations: Organisation[],
    values: {
      title: string;
      slug: string;
      body: string;
      summary: string;
      language: string;
      date: string;
      signatoryIds: number[];
    },
    statement: EditableStatement | null,
  ) => {
    const slots = Array.from({ length: SIGNATORY_SLOTS }, (_, index) => ({
      number: index + 1,
      selected: values.signatoryIds[index] ?? null,
    }));
    const transitions =
      statement === null
        ? []
        : transitionsFrom(statement.status)
            .filter((transition) => can(user, TRANSITION_RULES[transition].action, statement))
            .map((transition) => ({ name: transition, label: TRANSITION_RULES[transition].label }));
    return {
      values,
      slots,
      organisations: organisations.map((organisation) => ({
        id: organisation.id,
        name: organisation.name,
        mine: user.organisationIds.includes(organisation.id),
      })),
      languages: languageOptions(settings, values.language),
      timezone: settings.timezone,
      statement:
        statement === null
          ? null
          : {
              ...statement,
              status_label: statusLabel(statement.status),
              can_delete: can(user, 'statement.delete', statement),
            },
      transitions,
      media: (await mediaLibraryPage(db, 1, MEDIA_PICKER_SIZE)).cards,
      translations:
        statement === null ? null : await translationContext(db, user, settings, statement),
    };
  };

  const valuesOf = (statement: EditableStatement, timeZone: string) => ({
    title: statement.title,
    slug: statement.slug,
    body: statement.bodyMd,
    summary: statement.summaryMd ?? '',
    language: statement.language,
    date: instantToZonedLocal(statement.publishedAt, timeZone),
    signatoryIds: statement.signatoryIds,
  });

  const valuesFromForm = (draft: StatementDraft & { dateText: string }) => ({
    title: draft.title,
    slug: draft.slug,
    body: draft.bodyMd,
    summary: draft.summaryMd,
    language: draft.language,
    date: draft.dateText,
    signatoryIds: draft.signatoryIds,
  });

  const loadStatement = async (
    request: FastifyRequest<{ Params: { id: string } }>,
    action: 'statement.view' | 'statement.edit',
  ) => {
    const statement = await findEditableStatement(db, statementId(request.params.id));
    if (statement === undefined) throw new AdminHttpError(404, 'There is no such statement.');
    const user = signedIn(request);
    if (!can(user, 'statement.view', statement))
      throw new AdminHttpError(404, 'There is no such statement.');
    if (action === 'statement.edit' && !can(user, action, statement))
      throw new AdminHttpError(
        403,
        'Your account may not edit this statement in its current state.',
      );
    return statement;
  };

  const translateServiceError = (error: unknown): never => {
    if (error instanceof StatementNotFoundError) throw new AdminHttpError(404, error.message);
    if (error instanceof StatementForbiddenError) throw new AdminHttpError(403, error.message);
    throw error;
  };

  admin.get<{ Querystring: Record<string, string | undefined> }>(
    '/statements',
    { config: { action: 'statement.list' } },
    async (request, reply) => {
      const user = signedIn(request);
      const query = request.query;
      const status = query.status && isStatementStatus(query.status) ? query.status : null;
      const organisationId =
        query.organisation && /^\d{1,9}$/.test(query.organisation)
          ? Number(query.organisation)
          : null;
      const language =
        query.language && /^[A-Za-z-]{2,35}$/.test(query.language) ? query.language : null;
      const page =
        query.page && /^\d{1,6}$/.test(query.page) && Number(query.page) >= 1
          ? Number(query.page)
          : 1;
      const [settings, organisations, listing] = await Promise.all([
        readSettings(db),
        listOrganisations(db),
        listStatementsForAdmin(
          db,
          { status, organisationId, language, page, perPage: PER_PAGE },
          user,
        ),
      ]);
      const pages = Math.max(1, Math.ceil(listing.total / PER_PAGE));
      const pageLink = (target: number) => {
        const params = new URLSearchParams();
        if (status) params.set('status', status);
        if (organisationId) params.set('organisation', String(organisationId));
        if (language) params.set('language', language);
        if (target > 1) params.set('page', String(target));
        const text = params.toString();
        return `/admin/statements${text ? `?${text}` : ''}`;
      };
      return renderAdmin(deps, request, reply, 'statements', {
        title: 'Statements',
        filters: { status, organisation: organisationId, language },
        statuses: STATEMENT_STATUSES.map((value) => ({ value, label: statusLabel(value) })),
        organisations: organisations.map((organisation) => ({
          id: organisation.id,
          name: organisation.name,
        })),
        languages: languageOptions(settings, ''),
        rows: listing.rows.map((row) => ({
          id: row.id,
          title: row.title,
          language: row.language,
          status: row.status,
          status_label: statusLabel(row.status),
          date: instantToZonedLocal(row.publishedAt, settings.timezone).replace('T', ' '),
          signatories: row.signatories.map((organisation) => organisation.name).join(', '),
        })),
        total: listing.total,
        pagination: {
          page,
          pages,
          newer: page > 1 ? pageLink(page - 1) : null,
          older: page < pages ? pageLink(page + 1) : null,
        },
        can_create: can(user, 'statement.create'),
      });
    },
  );

  admin.get(
    '/statements/new',
    { config: { action: 'statement.create' } },
    async (request, reply) => {
      const user = signedIn(request);
      const [settings, organisations] = await Promise.all([
        readSettings(db),
        listOrganisations(db),
      ]);
      const ownFirst = user.role === 'contributor' ? user.organisationIds.slice(0, 1) : [];
      const values = {
        title: '',
        slug: '',
        body: '',
        summary: '',
        language: settings.language,
        date: instantToZonedLocal(new Date(), settings.timezone),
        signatoryIds: ownFirst,
      };
      return renderAdmin(deps, request, reply, 'statement-edit', {
        title: 'New statement',
        ...(await formContext(user, settings, organisations, values, null)),
      });
    },
  );

  const showFormAgain = async (
    request: FastifyRequest,
    reply: FastifyReply,
    draft: StatementDraft & { dateText: string },
    statement: EditableStatement | null,
    extra: Record<string, unknown>,
    status: number,
  ) => {
    const user = signedIn(request);
    const [settings, organisations] = await Promise.all([readSettings(db), listOrganisations(db)]);
    return renderAdmin(
      deps,
      request,
      reply,
      'statement-edit',
      {
        title: statement === null ? 'New statement' : `Edit: ${statement.title}`,
        ...(await formContext(user, settings, organisations, valuesFromForm(draft), statement)),
        version: readVersion(request.body as Body),
        ...extra,
      },
      status,
    );
  };

  admin.post<{ Body: Body }>(
    '/statements',
    { config: { action: 'statement.create' } },
    async (request, reply) => {
      const settings = await readSettings(db);
      const draft = readStatementForm(request.body, settings.timezone);
      if (request.body.intent === 'preview') {
        return showFormAgain(
          request,
          reply,
          draft,
          null,
          { preview_html: renderMarkdown(draft.bodyMd) },
          200,
        );
      }
      try {
        const id = await createStatement(deps.handle, editorOf(request), draft);
        return redirectWithNotice(reply, `/admin/statements/${id}`, 'created');
      } catch (error) {
        if (error instanceof StatementInputError)
          return showFormAgain(request, reply, draft, null, { errors: error.fields }, 422);
        return translateServiceError(error);
      }
    },
  );

  admin.get<{ Params: { id: string } }>(
    '/statements/:id',
    { config: { action: 'statement.list' } },
    async (request, reply) => {
      const user = signedIn(request);
      const statement = await loadStatement(request, 'statement.view');
      const [settings, organisations] = await Promise.all([
        readSettings(db),
        listOrganisations(db),
      ]);
      return renderAdmin(deps, request, reply, 'statement-edit', {
        title: `Edit: ${statement.title}`,
        ...(await formContext(
          user,
          settings,
          organisations,
          valuesOf(statement, settings.timezone),
          statement,
        )),
        version: statement.version,
        read_only: !can(user, 'statement.edit', statement),
      });
    },
  );

  admin.post<{ Params: { id: string }; Body: Body }>(
    '/statements/:id',
    { config: { action: 'statement.list' } },
    async (request, reply) => {
      const statement = await loadStatement(request, 'statement.edit');
      const settings = await readSettings(db);
      const draft = readStatementForm(request.body, settings.timezone);
      if (request.body.intent === 'preview') {
        return showFormAgain(
          request,
          reply,
          draft,
          statement,
          { preview_html: renderMarkdown(draft.bodyMd) },
          200,
        );
      }
      try {
        await updateStatement(
          deps.handle,
          editorOf(request),
          statement.id,
          draft,
          readVersion(request.body),
        );
        if (request.body.translation_up_to_date === 'yes') {
          await markTranslationCurrent(deps.handle, editorOf(request), statement.id);
        }
        await deps.contentChanged();
        return redirectWithNotice(reply, `/admin/statements/${statement.id}`, 'saved');
      } catch (error) {
        if (error instanceof StatementInputError)
          return showFormAgain(request, reply, draft, statement, { errors: error.fields }, 422);
        if (error instanceof StatementConflictError) {
          const latest = (await findEditableStatement(db, statement.id)) ?? statement;
          return showFormAgain(
            request,
            reply,
            draft,
            latest,
            { conflict: error.message, latest_version: latest.version },
            409,
          );
        }
        return translateServiceError(error);
      }
    },
  );

  admin.post<{ Params: { id: string }; Body: Body }>(
    '/statements/:id/transition',
    { config: { action: 'statement.list' } },
    async (request, reply) => {
      const statement = await loadStatement(request, 'statement.view');
      const transition = typeof request.body.transition === 'string' ? request.body.transition : '';
      if (!isTransition(transition))
        throw new AdminHttpError(400, 'Choose one of the workflow actions shown on the statement.');
      const settings = await readSettings(db);
      const scheduleText =
        typeof request.body.publish_at === 'string' ? request.body.publish_at : '';
      try {
        const status = await transitionStatement(
          deps.handle,
          editorOf(request),
          statement.id,
          transition,
          {
            expectedVersion: readVersion(request.body),
            scheduleAt:
              scheduleText === '' ? null : zonedLocalToInstant(scheduleText, settings.timezone),
          },
        );
        await deps.contentChanged();
        const notice = status === 'draft' ? 'draft' : status;
        return redirectWithNotice(reply, `/admin/statements/${statement.id}`, notice as 'saved');
      } catch (error) {
        if (error instanceof StatementConflictError) throw new AdminHttpError(409, error.message);
        if (error instanceof StatementInputError)
          throw new AdminHttpError(422, Object.values(error.fields).join(' '));
        return translateServiceError(error);
      }
    },
  );

  admin.post<{ Params: { id: string }; Body: Body }>(
    '/statements/:id/translations',
    { config: { action: 'statement.create' } },
    async (request, reply) => {
      const statement = await loadStatement(request, 'statement.view');
      const language = typeof request.body.language === 'string' ? request.body.language : '';
      try {
        const id = await createTranslation(deps.handle, editorOf(request), statement.id, language);
        return redirectWithNotice(reply, `/admin/statements/${id}`, 'created');
      } catch (error) {
        if (error instanceof StatementInputError)
          throw new AdminHttpError(422, Object.values(error.fields).join(' '));
        return translateServiceError(error);
      }
    },
  );

  admin.post<{ Params: { id: string }; Body: Body }>(
    '/statements/:id/delete',
    { config: { action: 'statement.delete' } },
    async (request, reply) => {
      const statement = await loadStatement(request, 'statement.view');
      try {
        await deleteStatement(deps.handle, editorOf(request), statement.id);
      } catch (error) {
        return translateServiceError(error);
      }
      await deps.contentChanged();
      return redirectWithNotice(reply, '/admin/statements', 'deleted');
    },
  );

  admin.get<{ Params: { id: string }; Querystring: Record<string, string | undefined> }>(
    '/statements/:id/revisions',
    { config: { action: 'statement.list' } },
    async (request, reply) => {
      const user = signedIn(request);
      const statement = await loadStatement(request, 'statement.view');
      const settings = await readSettings(db);
      const revisions = await listRevisions(db, statement.id);
      const numbers = revisions.map((revision) => revision.number);
      const parse = (raw: string | undefined, fallback: number | undefined) =>
        raw !== undefined && /^\d{1,9}$/.test(raw) && numbers.includes(Number(raw))
          ? Number(raw)
          : fallback;
      const to = parse(request.query.to, numbers[0]);
      const from = parse(request.query.from, numbers[1] ?? numbers[0]);
      const older = revisions.find((revision) => revision.number === from);
      const newer = revisions.find((revision) => revision.number === to);
      return renderAdmin(deps, request, reply, 'statement-revisions', {
        title: `Revisions: ${statement.title}`,
        statement: { id: statement.id, title: statement.title },
        revisions: revisions.map((revision) => ({
          number: revision.number,
          author: revision.authorLabel,
          status: revision.status,
          status_label: statusLabel(revision.status),
          at: instantToZonedLocal(revision.createdAt, settings.timezone).replace('T', ' '),
          title: revision.title,
        })),
        from,
        to,
        diff: older && newer ? revisionDiff(older, newer) : null,
        can_restore: can(user, 'statement.restore_revision', statement),
        version: statement.version,
      });
    },
  );

  admin.post<{ Params: { id: string; number: string }; Body: Body }>(
    '/statements/:id/revisions/:number/restore',
    { config: { action: 'statement.restore_revision' } },
    async (request, reply) => {
      const statement = await loadStatement(request, 'statement.view');
      if (!/^\d{1,9}$/.test(request.params.number))
        throw new AdminHttpError(404, 'There is no such revision.');
      try {
        await restoreRevision(
          deps.handle,
          editorOf(request),
          statement.id,
          Number(request.params.number),
        );
      } catch (error) {
        if (error instanceof StatementConflictError) throw new AdminHttpError(409, error.message);
        if (error instanceof StatementInputError)
          throw new AdminHttpError(422, Object.values(error.fields).join(' '));
        return translateServiceError(error);
      }
      await deps.contentChanged();
      return redirectWithNotice(reply, `/admin/statements/${statement.id}`, 'restored');
    },
  );

  admin.post<{ Body: Body }>(
    '/preview',
    { config: { action: 'statement.list' } },
    async (request, reply) => {
      const markdown = typeof request.body.body === 'string' ? request.body.body : '';
      if (markdown.length > 200_000)
        throw new AdminHttpError(413, 'The text is too long to preview.');
      return reply.type('text/html; charset=utf-8').send(renderMarkdown(markdown));
    },
  );
}
