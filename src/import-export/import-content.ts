import type { DatabaseHandle } from '../db/connect.ts';
import type { Queryable } from '../db/database.ts';
import {
  findOrganisationBySlug,
  type UpsertOutcome,
  upsertOrganisation,
} from '../organisations/index.ts';
import { upsertPage } from '../pages/index.ts';
import {
  bumpContentVersion,
  readSettings,
  SettingsValidationError,
  validateSettings,
  writeSettings,
} from '../settings/index.ts';
import { upsertStatement } from '../statements/index.ts';
import { enqueueStatementEvent, type WebhookEvent } from '../webhooks/index.ts';
import type { ContentBundle, StatementFile } from './content-bundle.ts';
import { ContentFolderError } from './read-content-folder.ts';

export type OutcomeCounts = Record<UpsertOutcome, number>;

export interface ImportReport {
  organisations: OutcomeCounts;
  pages: OutcomeCounts;
  statements: OutcomeCounts;
  settingsChanged: boolean;
  changed: boolean;
}

function emptyCounts(): OutcomeCounts {
  return { created: 0, updated: 0, unchanged: 0 };
}

async function resolveOrganisationIds(
  db: Queryable,
  statement: StatementFile,
  known: Map<string, number>,
): Promise<number[]> {
  const ids: number[] = [];
  for (const slug of statement.organisationSlugs) {
    let id = known.get(slug);
    if (id === undefined) {
      id = (await findOrganisationBySlug(db, slug))?.id;
      if (id === undefined) {
        throw new ContentFolderError([
          `${statement.file}:${statement.organisationsLine}: field "organisations": no organisation "${slug}" in the folder or the site`,
        ]);
      }
      known.set(slug, id);
    }
    ids.push(id);
  }
  return ids;
}

/** The event a back-office save would send for this change of a statement, or null for none. */
function statementEvent(
  previousStatus: string | undefined,
  nextStatus: string,
  outcome: UpsertOutcome,
): WebhookEvent | null {
  if (outcome === 'unchanged') return null;
  const wasPublished = previousStatus === 'published';
  const isPublished = nextStatus === 'published';
  if (isPublished) return wasPublished ? 'statement.updated' : 'statement.published';
  return wasPublished ? 'statement.unpublished' : null;
}

/** Originals before their translations, so every translation_of resolves; a cycle is an error. */
function inTranslationOrder(statements: StatementFile[]): StatementFile[] {
  const bySlug = new Map(statements.map((statement) => [statement.slug, statement]));
  const ordered: StatementFile[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const place = (statement: StatementFile) => {
    if (placed.has(statement.slug)) return;
    if (visiting.has(statement.slug)) {
      throw new ContentFolderError([
        `${statement.file}:${statement.translationOfLine}: field "translation_of": translations refer to each other in a circle`,
      ]);
    }
    visiting.add(statement.slug);
    const original =
      statement.translationOfSlug === null ? undefined : bySlug.get(statement.translationOfSlug);
    if (original !== undefined) place(original);
    visiting.delete(statement.slug);
    placed.add(statement.slug);
    ordered.push(statement);
  };
  for (const statement of statements) place(statement);
  return ordered;
}

/** Writes a validated bundle in one transaction: all of it, or nothing. */
export async function importContent(
  handle: DatabaseHandle,
  bundle: ContentBundle,
  now = new Date(),
): Promise<ImportReport> {
  const report: ImportReport = {
    organisations: emptyCounts(),
    pages: emptyCounts(),
    statements: emptyCounts(),
    settingsChanged: false,
    changed: false,
  };
  const ordered = inTranslationOrder(bundle.statements);
  await handle.db.transaction().execute(async (trx) => {
    if (bundle.site !== null) {
      const merged = { ...(await readSettings(trx)), ...bundle.site };
      try {
        validateSettings(merged);
      } catch (error) {
        if (error instanceof SettingsValidationError) {
          throw new ContentFolderError([`site.yaml:1: field "${error.field}": ${error.message}`]);
        }
        throw error;
      }
      report.settingsChanged = await writeSettings(trx, bundle.site);
    }
    const organisationIds = new Map<string, number>();
    for (const organisation of bundle.organisations) {
      const { id, outcome } = await upsertOrganisation(trx, organisation, now);
      organisationIds.set(organisation.slug, id);
      report.organisations[outcome] += 1;
    }
    for (const page of bundle.pages) {
      report.pages[(await upsertPage(trx, page, now)).outcome] += 1;
    }
    const statementIds = new Map<string, number>();
    for (const statement of ordered) {
      let translationOfId: number | null = null;
      if (statement.translationOfSlug !== null) {
        translationOfId =
          statementIds.get(statement.translationOfSlug) ??
          (
            await trx
              .selectFrom('statements')
              .select('id')
              .where('slug', '=', statement.translationOfSlug)
              .executeTakeFirst()
          )?.id ??
          null;
        if (translationOfId === null) {
          throw new ContentFolderError([
            `${statement.file}:${statement.translationOfLine}: field "translation_of": no statement "${statement.translationOfSlug}" in the folder or the site`,
          ]);
        }
      }
      const previous = await trx
        .selectFrom('statements')
        .select('status')
        .where('slug', '=', statement.slug)
        .executeTakeFirst();
      const { id, outcome } = await upsertStatement(
        trx,
        {
          slug: statement.slug,
          title: statement.title,
          bodyMd: statement.bodyMd,
          summaryMd: statement.summaryMd,
          language: statement.language,
          status: statement.status,
          publishedAt: statement.publishedAt,
          signatoryIds: await resolveOrganisationIds(trx, statement, organisationIds),
          translationOfId,
        },
        now,
      );
      statementIds.set(statement.slug, id);
      report.statements[outcome] += 1;
      // In the same transaction, as a back-office save does: the event exists exactly when the change does.
      const event = statementEvent(previous?.status, statement.status, outcome);
      if (event !== null) await enqueueStatementEvent(trx, event, id, now);
    }
    report.changed =
      report.settingsChanged ||
      [report.organisations, report.pages, report.statements].some(
        (counts) => counts.created + counts.updated > 0,
      );
    if (report.changed) await bumpContentVersion(trx);
  });
  return report;
}
