import { createHash } from 'node:crypto';
import { can } from '../accounts/policy.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import type { Queryable } from '../db/database.ts';
import { isValidLanguageTag } from '../settings/index.ts';
import { insertRevision } from './revision-repository.ts';
import { uniqueSlug } from './slug.ts';
import { isStatementStatus, type StatementStatus } from './statement.ts';
import {
  StatementForbiddenError,
  StatementInputError,
  StatementNotFoundError,
} from './statement-errors.ts';
import { type Editor, findEditableStatement } from './statement-service.ts';

/** One language version of a statement, as the back office lists it. */
export interface TranslationVersion {
  id: number;
  language: string;
  title: string;
  status: StatementStatus;
  isOriginal: boolean;
  /** The original's text changed after this translation last caught up with it. */
  outdated: boolean;
}

/** What a translation follows: a change to any of these makes it outdated. */
export function sourceHash(original: {
  title: string;
  summary_md: string | null;
  body_md: string;
}): string {
  return createHash('sha256')
    .update(`${original.title}\n${original.summary_md ?? ''}\n${original.body_md}`)
    .digest('hex');
}

async function groupRows(db: Queryable, statementId: number) {
  const self = await db
    .selectFrom('statements')
    .select(['id', 'translation_of_id'])
    .where('id', '=', statementId)
    .executeTakeFirst();
  if (self === undefined) return undefined;
  const groupId = self.translation_of_id ?? self.id;
  const rows = await db
    .selectFrom('statements')
    .select([
      'id',
      'language',
      'title',
      'status',
      'summary_md',
      'body_md',
      'translation_of_id',
      'translation_source_hash',
    ])
    .where((eb) => eb.or([eb('id', '=', groupId), eb('translation_of_id', '=', groupId)]))
    .orderBy('language')
    .execute();
  return { groupId, rows };
}

/** Every language version of the statement's group, with outdated marks. */
export async function listTranslationVersions(
  db: Queryable,
  statementId: number,
): Promise<TranslationVersion[]> {
  const group = await groupRows(db, statementId);
  if (group === undefined) return [];
  const original = group.rows.find((row) => row.id === group.groupId);
  const currentHash = original === undefined ? null : sourceHash(original);
  return group.rows.map((row) => ({
    id: row.id,
    language: row.language,
    title: row.title,
    status: isStatementStatus(row.status) ? row.status : 'draft',
    isOriginal: row.id === group.groupId,
    outdated: row.id !== group.groupId && row.translation_source_hash !== currentHash,
  }));
}

/** Starts a translation as a draft copy of the original, to be rewritten in the new language. */
export async function createTranslation(
  handle: DatabaseHandle,
  editor: Editor,
  statementId: number,
  language: string,
  now = new Date(),
): Promise<number> {
  const tag = language.trim();
  if (!isValidLanguageTag(tag))
    throw new StatementInputError({ language: 'Choose a language for the translation.' });
  return handle.db.transaction().execute(async (trx) => {
    const group = await groupRows(trx, statementId);
    if (group === undefined) throw new StatementNotFoundError();
    const original = await findEditableStatement(trx, group.groupId);
    if (original === undefined) throw new StatementNotFoundError();
    if (!can(editor.user, 'statement.create') || !can(editor.user, 'statement.view', original)) {
      throw new StatementForbiddenError();
    }
    if (group.rows.some((row) => row.language === tag)) {
      throw new StatementInputError({ language: `There is already a version in ${tag}.` });
    }
    const originalRow = group.rows.find((row) => row.id === group.groupId);
    if (originalRow === undefined) throw new StatementNotFoundError();
    const slug = await uniqueSlug(trx, `${original.slug.slice(0, 70)}-${tag.toLowerCase()}`, null);
    const { id } = await trx
      .insertInto('statements')
      .values({
        slug,
        title: original.title,
        body_md: original.bodyMd,
        body_html: (
          await trx
            .selectFrom('statements')
            .select('body_html')
            .where('id', '=', original.id)
            .executeTakeFirstOrThrow()
        ).body_html,
        summary_md: original.summaryMd,
        summary_html:
          original.summaryMd === null
            ? null
            : (
                await trx
                  .selectFrom('statements')
                  .select('summary_html')
                  .where('id', '=', original.id)
                  .executeTakeFirstOrThrow()
              ).summary_html,
        language: tag,
        status: 'draft',
        published_at: original.publishedAt,
        translation_of_id: original.id,
        translation_source_hash: sourceHash(originalRow),
        created_at: now,
        updated_at: now,
        created_by: editor.user.id,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('statement_signatories')
      .values(
        original.signatoryIds.map((organisationId, position) => ({
          statement_id: id,
          organisation_id: organisationId,
          position,
        })),
      )
      .execute();
    await insertRevision(
      trx,
      {
        statementId: id,
        title: original.title,
        slug,
        bodyMd: original.bodyMd,
        summaryMd: original.summaryMd,
        language: tag,
        publishedAt: original.publishedAt,
        signatoryIds: original.signatoryIds,
        status: 'draft',
        authorUserId: editor.audit.userId,
        authorLabel: editor.audit.label,
      },
      now,
    );
    await recordAudit(
      trx,
      editor.audit,
      'statement.translation_created',
      { type: 'statement', id },
      { of: original.id, language: tag },
      now,
    );
    return id;
  });
}

/** Records that a translation now follows the original's current text. */
export async function markTranslationCurrent(
  handle: DatabaseHandle,
  editor: Editor,
  statementId: number,
): Promise<void> {
  await handle.db.transaction().execute(async (trx) => {
    const statement = await findEditableStatement(trx, statementId);
    if (statement === undefined) throw new StatementNotFoundError();
    if (!can(editor.user, 'statement.edit', statement)) throw new StatementForbiddenError();
    const group = await groupRows(trx, statementId);
    const original = group?.rows.find((row) => row.id === group.groupId);
    if (group === undefined || original === undefined || original.id === statementId) return;
    await trx
      .updateTable('statements')
      .set({ translation_source_hash: sourceHash(original) })
      .where('id', '=', statementId)
      .execute();
    await recordAudit(
      trx,
      editor.audit,
      'statement.translation_updated',
      { type: 'statement', id: statementId },
      { of: original.id },
    );
  });
}
