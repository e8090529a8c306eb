import type { Insertable } from 'kysely';
import type { Database } from '../../src/db/database.ts';

/** A minimal organisation row for tests that write the database directly. */
export function organisationRow(
  slug: string,
  name: string,
  country: string,
  now: Date,
): Insertable<Database['organisations']> {
  return {
    slug,
    name,
    country,
    website: null,
    language: 'en',
    description_md: '',
    description_html: '',
    created_at: now,
    updated_at: now,
  };
}

/** A minimal statement row whose title and body are its slug. */
export function statementRow(
  slug: string,
  fields: {
    language: string;
    status: string;
    publishedAt: Date;
    translationOfId?: number | null;
    now: Date;
  },
): Insertable<Database['statements']> {
  return {
    slug,
    title: slug,
    body_md: slug,
    body_html: `<p>${slug}</p>`,
    summary_md: null,
    summary_html: null,
    language: fields.language,
    status: fields.status,
    published_at: fields.publishedAt,
    translation_of_id: fields.translationOfId ?? null,
    created_at: fields.now,
    updated_at: fields.now,
  };
}
