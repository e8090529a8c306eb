import { type Action, can } from '../accounts/policy.ts';
import type { User } from '../accounts/user.ts';
import { type AuditActor, recordAudit } from '../audit/audit-log.ts';
import { renderMarkdown } from '../content/markdown.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import { type Queryable, toDate } from '../db/database.ts';
import { bumpContentVersion, isValidLanguageTag } from '../settings/index.ts';
import { enqueueStatementEvent } from '../webhooks/index.ts';
import { findRevision, insertRevision } from './revision-repository.ts';
import { SLUG_PATTERN, slugIsFree, slugify, uniqueSlug } from './slug.ts';
import { isStatementStatus, type StatementStatus } from './statement.ts';
import {
  StatementConflictError,
  StatementForbiddenError,
  StatementInputError,
  StatementNotFoundError,
} from './statement-errors.ts';
import { findSignatories } from './statement-repository.ts';
import { TRANSITION_RULES, type Transition } from './workflow.ts';

/** A statement as the back office edits it. */
export interface EditableStatement {
  id: number;
  slug: string;
  title: string;
  bodyMd: string;
  summaryMd: string | null;
  language: string;
  status: StatementStatus;
  publishedAt: Date;
  signatoryIds: number[];
  version: number;
  updatedAt: Date;
}

/** What an editor submits; validated here, not in the route. */
export interface StatementDraft {
  title: string;
  slug: string;
  bodyMd: string;
  summaryMd: string;
  language: string;
  publishedAt: Date | null;
  signatoryIds: number[];
}

export interface Editor {
  user: User;
  audit: AuditActor;
}

export async function findEditableStatement(
  db: Queryable,
  id: number,
): Promise<EditableStatement | undefined> {
  const row = await db
    .selectFrom('statements')
    .select([
      'id',
      'slug',
      'title',
      'body_md',
      'summary_md',
      'language',
      'status',
      'published_at',
      'version',
      'updated_at',
    ])
    .where('id', '=', id)
    .executeTakeFirst();
  if (row === undefined || !isStatementStatus(row.status)) return undefined;
  const signatories = (await findSignatories(db, [id])).get(id) ?? [];
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    bodyMd: row.body_md,
    summaryMd: row.summary_md,
    language: row.language,
    status: row.status,
    publishedAt: toDate(row.published_at),
    signatoryIds: signatories.map((organisation) => organisation.id),
    version: row.version,
    updatedAt: toDate(row.updated_at),
  };
}

function authorise(
  user: User,
  action: Action,
  statement: { status: StatementStatus; signatoryIds: number[] },
): void {
  if (!can(user, action, statement)) throw new StatementForbiddenError();
}

async function validate(
  db: Queryable,
  draft: StatementDraft,
  user: User,
  statementId: number | null,
): Promise<StatementDraft> {
  const errors: Record<string, string> = {};
  const title = draft.title.trim();
  if (title === '') errors.title = 'Give the statement a title.';
  else if (title.length > 500) errors.title = 'The title can be at most 500 characters.';
  if (draft.bodyMd.trim() === '') errors.body = 'Write the text of the statement.';
  else if (draft.bodyMd.length > 200_000)
    errors.body = 'The text can be at most 200,000 characters.';
  if (draft.summaryMd.length > 5_000)
    errors.summary = 'The summary can be at most 5,000 characters.';
  if (!isValidLanguageTag(draft.language))
    errors.language = 'Choose the language the statement is written in.';
  if (draft.publishedAt === null) errors.date = 'Give a date and time, e.g. 2025-03-14 10:30.';
  const slug = draft.slug.trim().toLowerCase();
  if (slug !== '' && (!SLUG_PATTERN.test(slug) || slug.length > 200)) {
    errors.slug =
      'Use lowercase letters, digits and single hyphens only, e.g. winter-evictions-must-stop.';
  } else if (slug !== '' && !(await slugIsFree(db, slug, statementId))) {
    errors.slug = `The address /statements/${slug} is already taken by another statement.`;
  }
  const ids = [...new Set(draft.signatoryIds)];
  if (ids.length === 0) errors.signatories = 'Choose at least one signing organisation.';
  else if (ids.length !== draft.signatoryIds.length)
    errors.signatories = 'An organisation is listed twice.';
  else {
    const known = await db
      .selectFrom('organisations')
      .select('id')
      .where('id', 'in', ids)
      .execute();
    if (known.length !== ids.length)
      errors.signatories = 'One of the chosen organisations no longer exists.';
    else if (user.role === 'contributor' && !ids.some((id) => user.organisationIds.includes(id))) {
      errors.signatories = 'Include at least one organisation you belong to.';
    }
  }
  if (Object.keys(errors).length > 0) throw new StatementInputError(errors);
  return { ...draft, title, slug, summaryMd: draft.summaryMd.trim(), signatoryIds: ids };
}

async function replaceSignatories(
  db: Queryable,
  statementId: number,
  organisationIds: number[],
): Promise<void> {
  await db.deleteFrom('statement_signatories').where('statement_id', '=', statementId).execute();
  await db
    .insertInto('statement_signatories')
    .values(
      organisationIds.map((organisationId, position) => ({
        statement_id: statementId,
        organisation_id: organisationId,
        position,
      })),
    )
    .execute();
}

async function saveRevision(
  db: Queryable,
  statement: EditableStatement,
  editor: Editor,
  now: Date,
): Promise<void> {
  await insertRevision(
    db,
    {
      statementId: statement.id,
      title: statement.title,
      slug: statement.slug,
      bodyMd: statement.bodyMd,
      summaryMd: statement.summaryMd,
      language: statement.language,
      publishedAt: statement.publishedAt,
      signatoryIds: statement.signatoryIds,
      status: statement.status,
      authorUserId: editor.audit.userId,
      authorLabel: editor.audit.label,
    },
    now,
  );
}

/** Creates a draft with its first revision. */
export async function createStatement(
  handle: DatabaseHandle,
  editor: Editor,
  input: StatementDraft,
  now = new Date(),
): Promise<number> {
  if (!can(editor.user, 'statement.create')) throw new StatementForbiddenError();
  return handle.db.transaction().execute(async (trx) => {
    const draft = await validate(trx, input, editor.user, null);
    const publishedAt = draft.publishedAt ?? now;
    const slug =
      draft.slug !== ''
        ? draft.slug
        : await uniqueSlug(trx, slugify(draft.title, publishedAt), null);
    const { id } = await trx
      .insertInto('statements')
      .values({
        slug,
        title: draft.title,
        body_md: draft.bodyMd,
        body_html: renderMarkdown(draft.bodyMd),
        summary_md: draft.summaryMd === '' ? null : draft.summaryMd,
        summary_html: draft.summaryMd === '' ? null : renderMarkdown(draft.summaryMd),
        language: draft.language,
        status: 'draft',
        published_at: publishedAt,
        translation_of_id: null,
        created_at: now,
        updated_at: now,
        created_by: editor.user.id,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await replaceSignatories(trx, id, draft.signatoryIds);
    const saved = await findEditableStatement(trx, id);
    if (saved === undefined) throw new StatementNotFoundError();
    await saveRevision(trx, saved, editor, now);
    await recordAudit(
      trx,
      editor.audit,
      'statement.created',
      { type: 'statement', id },
      { title: draft.title, slug },
      now,
    );
    return id;
  });
}

/** Saves an edit if nobody saved in between; a changed slug leaves a redirect from the old one. */
export async function updateStatement(
  handle: DatabaseHandle,
  editor: Editor,
  id: number,
  input: StatementDraft,
  expectedVersion: number,
  now = new Date(),
): Promise<void> {
  await handle.db.transaction().execute(async (trx) => {
    const current = await findEditableStatement(trx, id);
    if (current === undefined) throw new StatementNotFoundError();
    authorise(editor.user, 'statement.edit', current);
    if (current.version !== expectedVersion) throw new StatementConflictError();
    const draft = await validate(trx, input, editor.user, id);
    // Contributors may not move a statement away from all of their own organisations.
    authorise(editor.user, 'statement.edit', {
      status: current.status,
      signatoryIds: draft.signatoryIds,
    });
    const slug = draft.slug === '' ? current.slug : draft.slug;
    const updated = await trx
      .updateTable('statements')
      .set({
        slug,
        title: draft.title,
        body_md: draft.bodyMd,
        body_html: renderMarkdown(draft.bodyMd),
        summary_md: draft.summaryMd === '' ? null : draft.summaryMd,
        summary_html: draft.summaryMd === '' ? null : renderMarkdown(draft.summaryMd),
        language: draft.language,
        published_at: draft.publishedAt ?? current.publishedAt,
        updated_at: now,
        version: current.version + 1,
      })
      .where('id', '=', id)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) throw new StatementConflictError();
    if (slug !== current.slug) {
      await trx.deleteFrom('slug_redirects').where('old_slug', '=', slug).execute();
      await trx
        .insertInto('slug_redirects')
        .values({ old_slug: current.slug, statement_id: id, created_at: now })
        .execute();
    }
    await replaceSignatories(trx, id, draft.signatoryIds);
    const saved = await findEditableStatement(trx, id);
    if (saved === undefined) throw new StatementNotFoundError();
    await saveRevision(trx, saved, editor, now);
    await recordAudit(
      trx,
      editor.audit,
      'statement.updated',
      { type: 'statement', id },
      { version: saved.version, slug },
      now,
    );
    if (current.status === 'published') {
      await bumpContentVersion(trx);
      await enqueueStatementEvent(trx, 'statement.updated', id, now);
    }
  });
}

/** Moves a statement along the workflow, if the rule and the policy allow it. */
export async function transitionStatement(
  handle: DatabaseHandle,
  editor: Editor,
  id: number,
  transition: Transition,
  options: { expectedVersion: number; scheduleAt?: Date | null },
  now = new Date(),
): Promise<StatementStatus> {
  const rule = TRANSITION_RULES[transition];
  return handle.db.transaction().execute(async (trx) => {
    const current = await findEditableStatement(trx, id);
    if (current === undefined) throw new StatementNotFoundError();
    authorise(editor.user, rule.action, current);
    if (current.version !== options.expectedVersion) throw new StatementConflictError();
    if (!rule.from.includes(current.status)) {
      throw new StatementForbiddenError(
        `A ${current.status} statement cannot be changed with "${rule.label}".`,
      );
    }
    let publishedAt = current.publishedAt;
    if (transition === 'schedule') {
      if (!options.scheduleAt || options.scheduleAt.getTime() <= now.getTime()) {
        throw new StatementInputError({
          publish_at: 'Choose a time in the future to schedule publication.',
        });
      }
      publishedAt = options.scheduleAt;
    }
    if (transition === 'publish' && publishedAt.getTime() > now.getTime()) publishedAt = now;
    await trx
      .updateTable('statements')
      .set({
        status: rule.to,
        published_at: publishedAt,
        updated_at: now,
        version: current.version + 1,
      })
      .where('id', '=', id)
      .execute();
    await saveRevision(trx, { ...current, status: rule.to, publishedAt }, editor, now);
    await recordAudit(
      trx,
      editor.audit,
      `statement.${rule.to}`,
      { type: 'statement', id },
      { from: current.status, to: rule.to, title: current.title },
      now,
    );
    if (current.status === 'published' || rule.to === 'published') await bumpContentVersion(trx);
    if (rule.to === 'published') await enqueueStatementEvent(trx, 'statement.published', id, now);
    else if (current.status === 'published')
      await enqueueStatementEvent(trx, 'statement.unpublished', id, now);
    return rule.to;
  });
}

/** Makes an old revision's content the current one, as a new revision; the status does not change. */
export async function restoreRevision(
  handle: DatabaseHandle,
  editor: Editor,
  id: number,
  number: number,
  now = new Date(),
): Promise<void> {
  const current = await findEditableStatement(handle.db, id);
  if (current === undefined) throw new StatementNotFoundError();
  authorise(editor.user, 'statement.restore_revision', current);
  const revision = await findRevision(handle.db, id, number);
  if (revision === undefined) throw new StatementNotFoundError();
  const slugTaken = !(await slugIsFree(handle.db, revision.slug, id));
  await updateStatement(
    handle,
    editor,
    id,
    {
      title: revision.title,
      slug: slugTaken ? current.slug : revision.slug,
      bodyMd: revision.bodyMd,
      summaryMd: revision.summaryMd ?? '',
      language: revision.language,
      publishedAt: current.status === 'scheduled' ? current.publishedAt : revision.publishedAt,
      signatoryIds: revision.signatoryIds,
    },
    current.version,
    now,
  );
  await recordAudit(
    handle.db,
    editor.audit,
    'statement.revision_restored',
    { type: 'statement', id },
    { revision: number },
    now,
  );
}

/** Deletes a statement for good (administrators only). */
export async function deleteStatement(
  handle: DatabaseHandle,
  editor: Editor,
  id: number,
  now = new Date(),
): Promise<void> {
  await handle.db.transaction().execute(async (trx) => {
    const current = await findEditableStatement(trx, id);
    if (current === undefined) throw new StatementNotFoundError();
    authorise(editor.user, 'statement.delete', current);
    // Announced before the row goes: the event carries the statement as it was.
    if (current.status === 'published')
      await enqueueStatementEvent(trx, 'statement.unpublished', id, now);
    await trx.deleteFrom('statements').where('id', '=', id).execute();
    await recordAudit(
      trx,
      editor.audit,
      'statement.deleted',
      { type: 'statement', id },
      { title: current.title, slug: current.slug },
      now,
    );
    if (current.status === 'published') await bumpContentVersion(trx);
  });
}

/** Publishes every scheduled statement whose time has come; each exactly once, whichever process runs it. */
export async function publishDueStatements(
  handle: DatabaseHandle,
  now = new Date(),
): Promise<number> {
  const due = await handle.db
    .selectFrom('statements')
    .select(['id', 'title'])
    .where('status', '=', 'scheduled')
    .where('published_at', '<=', now)
    .execute();
  let published = 0;
  for (const statement of due) {
    await handle.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('statements')
        .set((eb) => ({ status: 'published', updated_at: now, version: eb('version', '+', 1) }))
        .where('id', '=', statement.id)
        .where('status', '=', 'scheduled')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return;
      published += 1;
      await recordAudit(
        trx,
        { userId: null, label: 'scheduler', ip: null },
        'statement.published',
        { type: 'statement', id: statement.id },
        { from: 'scheduled', to: 'published', title: statement.title },
        now,
      );
      await bumpContentVersion(trx);
      await enqueueStatementEvent(trx, 'statement.published', statement.id, now);
    });
  }
  return published;
}
