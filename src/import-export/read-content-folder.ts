import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { cleanText } from '../content/clean-text.ts';
import type { SiteSettings } from '../settings/index.ts';
import { isStatementStatus, STATEMENT_STATUSES } from '../statements/index.ts';
import {
  type ContentBundle,
  ORGANISATION_FIELDS,
  PAGE_FIELDS,
  SITE_FIELDS,
  STATEMENT_FIELDS,
  type StatementFile,
} from './content-bundle.ts';
import { FieldReader, isValidSlug } from './field-reader.ts';
import { ContentFileError, parseFrontMatter, parseYaml } from './front-matter.ts';

/** Several problems found in a content folder; nothing was written. */
export class ContentFolderError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ContentFolderError';
    this.problems = problems;
  }
}

export type ProgressListener = (done: number, total: number) => void;

async function markdownFiles(folder: string, sub: string): Promise<string[]> {
  const entries = await readdir(path.join(folder, sub), { withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    },
  );
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
    .map((entry) => `${sub}/${entry.name}`)
    .sort();
}

function slugFromFile(file: string): string {
  const slug = path.basename(file, '.md');
  if (!isValidSlug(slug)) {
    throw new ContentFileError(
      file,
      1,
      null,
      `the file name "${slug}" is not a slug (lowercase letters, digits, hyphens)`,
    );
  }
  return slug;
}

function readSite(file: string, text: string): Partial<SiteSettings> {
  const fields = new FieldReader(file, parseYaml(text, file), SITE_FIELDS);
  const site: Partial<SiteSettings> = {};
  const title = fields.optionalString('title', 200);
  if (title !== null) site.title = title.trim();
  const intro = fields.optionalString('intro');
  if (intro !== null) site.introMd = intro.trim();
  const aboutLabel = fields.optionalString('about_label', 100);
  if (aboutLabel !== null) site.aboutLabel = aboutLabel.trim();
  const aboutPath = fields.optionalString('about_path', 200);
  if (aboutPath !== null) {
    if (!aboutPath.startsWith('/')) fields.fail('about_path', 'must start with /');
    site.aboutPath = aboutPath;
  }
  const language = fields.languageTag('language', false);
  if (language !== null) site.language = language;
  const languages = fields.languageList('languages');
  if (languages !== null) site.languages = languages;
  const timezone = fields.timeZone('timezone');
  if (timezone !== null) site.timezone = timezone;
  const perPage = fields.optionalInteger('per_page', 1, 100);
  if (perPage !== null) site.perPage = perPage;
  const excerptWords = fields.optionalInteger('excerpt_words', 10, 2000);
  if (excerptWords !== null) site.excerptWords = excerptWords;
  const untranslated = fields.optionalString('untranslated', 20);
  if (untranslated !== null) {
    site.untranslated =
      untranslated === 'original' || untranslated === 'hide'
        ? untranslated
        : fields.fail('untranslated', 'must be "original" or "hide"');
  }
  if (fields.has('labels')) site.labels = readLabels(fields, parseYaml(text, file).data.labels);
  return site;
}

function readLabels(fields: FieldReader, value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fields.fail('labels', 'must be a map of label keys to text');
  }
  const labels: Record<string, string> = {};
  for (const [key, text] of Object.entries(value)) {
    if (typeof text !== 'string') fields.fail('labels', `label "${key}" must be text`);
    labels[key] = text;
  }
  return labels;
}

function readStatement(file: string, text: string): StatementFile {
  const parsed = parseFrontMatter(text, file);
  const fields = new FieldReader(file, parsed, STATEMENT_FIELDS);
  const statusText = fields.optionalString('status', 20) ?? 'published';
  const status = isStatementStatus(statusText)
    ? statusText
    : fields.fail('status', `must be one of ${STATEMENT_STATUSES.join(', ')}, got "${statusText}"`);
  if (parsed.body.trim() === '')
    throw new ContentFileError(file, 1, null, 'the statement has no body text');
  return {
    file,
    slug: slugFromFile(file),
    title: fields.requiredString('title', 500),
    bodyMd: parsed.body,
    summaryMd: fields.optionalString('summary')?.trim() || null,
    language: fields.languageTag('language', true) ?? 'en',
    status,
    publishedAt: fields.instant('date'),
    organisationSlugs: fields.slugList('organisations'),
    organisationsLine: fields.lineOf('organisations'),
    translationOfSlug: fields.slug('translation_of'),
    translationOfLine: fields.lineOf('translation_of'),
  };
}

/** Reads and validates a whole content folder; throws ContentFolderError listing every problem. */
export async function readContentFolder(
  folder: string,
  onProgress?: ProgressListener,
): Promise<ContentBundle> {
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) throw new ContentFolderError([`${folder}: not a folder`]);
  const [organisationFiles, pageFiles, statementFiles] = await Promise.all([
    markdownFiles(folder, 'organisations'),
    markdownFiles(folder, 'pages'),
    markdownFiles(folder, 'statements'),
  ]);
  const siteText = await readFile(path.join(folder, 'site.yaml'), 'utf8').then(
    cleanText,
    () => null,
  );
  const total =
    organisationFiles.length +
    pageFiles.length +
    statementFiles.length +
    (siteText === null ? 0 : 1);
  if (total === 0) {
    throw new ContentFolderError([
      `${folder}: no site.yaml, organisations/, pages/ or statements/ found`,
    ]);
  }
  const problems: string[] = [];
  const bundle: ContentBundle = {
    site: null,
    organisations: [],
    pages: [],
    statements: [],
    fileCount: total,
  };
  let done = 0;
  const attempt = async (file: string, read: (text: string) => void) => {
    try {
      read(cleanText(await readFile(path.join(folder, file), 'utf8')));
    } catch (error) {
      if (error instanceof ContentFileError) problems.push(error.message);
      else problems.push(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
    done += 1;
    onProgress?.(done, total);
  };
  if (siteText !== null) {
    await attempt('site.yaml', (text) => {
      bundle.site = readSite('site.yaml', text);
    });
  }
  for (const file of organisationFiles) {
    await attempt(file, (text) => {
      const parsed = parseFrontMatter(text, file);
      const fields = new FieldReader(file, parsed, ORGANISATION_FIELDS);
      bundle.organisations.push({
        slug: slugFromFile(file),
        name: fields.requiredString('name', 300),
        country: fields.country('country'),
        website: fields.optionalUrl('website'),
        language: fields.languageTag('language', true) ?? 'en',
        descriptionMd: parsed.body,
      });
    });
  }
  for (const file of pageFiles) {
    await attempt(file, (text) => {
      const parsed = parseFrontMatter(text, file);
      const fields = new FieldReader(file, parsed, PAGE_FIELDS);
      bundle.pages.push({
        slug: slugFromFile(file),
        title: fields.requiredString('title', 500),
        bodyMd: parsed.body,
      });
    });
  }
  for (const file of statementFiles) {
    await attempt(file, (text) => {
      bundle.statements.push(readStatement(file, text));
    });
  }
  if (problems.length > 0) throw new ContentFolderError(problems);
  return bundle;
}
