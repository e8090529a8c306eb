import type { OrganisationInput } from '../organisations/index.ts';
import type { PageInput } from '../pages/index.ts';
import type { SiteSettings } from '../settings/index.ts';
import type { StatementStatus } from '../statements/index.ts';

/** A statement read from a file, with its references still as slugs. */
export interface StatementFile {
  file: string;
  slug: string;
  title: string;
  bodyMd: string;
  summaryMd: string | null;
  language: string;
  status: StatementStatus;
  publishedAt: Date;
  organisationSlugs: string[];
  organisationsLine: number;
  translationOfSlug: string | null;
  translationOfLine: number;
}

/** Everything a content folder holds, validated. */
export interface ContentBundle {
  site: Partial<SiteSettings> | null;
  organisations: OrganisationInput[];
  pages: PageInput[];
  statements: StatementFile[];
  fileCount: number;
}

/** The fields of site.yaml, as written in the file. */
export const SITE_FIELDS = [
  'title',
  'intro',
  'about_label',
  'about_path',
  'language',
  'languages',
  'timezone',
  'per_page',
  'excerpt_words',
  'untranslated',
  'labels',
] as const;
export const ORGANISATION_FIELDS = ['name', 'country', 'website', 'language'] as const;
export const PAGE_FIELDS = ['title'] as const;
export const STATEMENT_FIELDS = [
  'title',
  'date',
  'organisations',
  'language',
  'summary',
  'translation_of',
  'status',
] as const;
