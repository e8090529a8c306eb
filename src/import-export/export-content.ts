import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { DatabaseHandle } from '../db/connect.ts';
import { listOrganisations } from '../organisations/index.ts';
import { listPages } from '../pages/index.ts';
import { readSettings } from '../settings/index.ts';
import { listAllStatements } from '../statements/index.ts';
import type { ProgressListener } from './read-content-folder.ts';

export interface ExportReport {
  organisations: number;
  pages: number;
  statements: number;
  files: number;
}

/** ISO 8601 with the offset the site's time zone had at that instant, e.g. 2025-03-14T10:30:00+01:00. */
export function isoWithOffset(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'longOffset',
  }).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find((entry) => entry.type === type)?.value ?? '';
  const offset = part('timeZoneName').replace('GMT', '') || '+00:00';
  const millis = instant.getUTCMilliseconds();
  const fraction = millis === 0 ? '' : `.${String(millis).padStart(3, '0')}`;
  return `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}:${part('second')}${fraction}${offset}`;
}

function document(frontMatter: Record<string, unknown>, body: string): string {
  const yaml = stringify(frontMatter, { lineWidth: 0 });
  return `---\n${yaml}---\n\n${body.trimEnd()}\n`;
}

/** Writes the whole site as a content folder that `import` reads back unchanged. */
export async function exportContent(
  handle: DatabaseHandle,
  folder: string,
  onProgress?: ProgressListener,
): Promise<ExportReport> {
  const { settings, organisations, pages, statements } = await handle.db
    .transaction()
    .execute(async (trx) => ({
      settings: await readSettings(trx),
      organisations: await listOrganisations(trx),
      pages: await listPages(trx),
      statements: await listAllStatements(trx),
    }));
  for (const sub of ['organisations', 'pages', 'statements'])
    await mkdir(path.join(folder, sub), { recursive: true });
  const total = 1 + organisations.length + pages.length + statements.length;
  let done = 0;
  const write = async (file: string, text: string) => {
    await writeFile(path.join(folder, file), text, 'utf8');
    done += 1;
    onProgress?.(done, total);
  };
  const site: Record<string, unknown> = {
    title: settings.title,
    intro: settings.introMd,
    about_label: settings.aboutLabel,
    about_path: settings.aboutPath,
    language: settings.language,
    languages: settings.languages,
    timezone: settings.timezone,
    per_page: settings.perPage,
    excerpt_words: settings.excerptWords,
    untranslated: settings.untranslated,
  };
  if (Object.keys(settings.labels).length > 0) site.labels = settings.labels;
  await write('site.yaml', stringify(site, { lineWidth: 0 }));
  for (const organisation of organisations) {
    const frontMatter: Record<string, unknown> = {
      name: organisation.name,
      country: organisation.country,
      language: organisation.language,
    };
    if (organisation.website !== null) frontMatter.website = organisation.website;
    await write(
      `organisations/${organisation.slug}.md`,
      document(frontMatter, organisation.descriptionMd),
    );
  }
  for (const page of pages)
    await write(`pages/${page.slug}.md`, document({ title: page.title }, page.bodyMd));
  const slugById = new Map(statements.map((statement) => [statement.id, statement.slug]));
  for (const statement of statements) {
    const frontMatter: Record<string, unknown> = {
      title: statement.title,
      date: isoWithOffset(statement.publishedAt, settings.timezone),
      organisations: statement.signatories.map((organisation) => organisation.slug),
      language: statement.language,
    };
    if (statement.summaryMd !== null) frontMatter.summary = statement.summaryMd;
    if (statement.translationOfId !== null)
      frontMatter.translation_of = slugById.get(statement.translationOfId);
    if (statement.status !== 'published') frontMatter.status = statement.status;
    await write(`statements/${statement.slug}.md`, document(frontMatter, statement.bodyMd));
  }
  return {
    organisations: organisations.length,
    pages: pages.length,
    statements: statements.length,
    files: total,
  };
}
