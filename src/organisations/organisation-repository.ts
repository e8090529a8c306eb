import { renderMarkdown } from '../content/markdown.ts';
import { type Queryable, toDate } from '../db/database.ts';
import type { Organisation, OrganisationInput } from './organisation.ts';

const COLUMNS = [
  'id',
  'slug',
  'name',
  'country',
  'website',
  'language',
  'description_md',
  'description_html',
  'updated_at',
] as const;

type OrganisationRow = {
  id: number;
  slug: string;
  name: string;
  country: string;
  website: string | null;
  language: string;
  description_md: string;
  description_html: string;
  updated_at: Date | string;
};

function toOrganisation(row: OrganisationRow): Organisation {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    country: row.country,
    website: row.website,
    language: row.language,
    descriptionMd: row.description_md,
    descriptionHtml: row.description_html,
    updatedAt: toDate(row.updated_at),
  };
}

export async function listOrganisations(db: Queryable): Promise<Organisation[]> {
  const rows = await db
    .selectFrom('organisations')
    .select(COLUMNS)
    .orderBy('name')
    .orderBy('id')
    .execute();
  return rows.map(toOrganisation);
}

export async function findOrganisationById(
  db: Queryable,
  id: number,
): Promise<Organisation | undefined> {
  const row = await db
    .selectFrom('organisations')
    .select(COLUMNS)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toOrganisation(row) : undefined;
}

/** The organisations with these ids, in the order given; ids not found are left out. */
export async function findOrganisationsByIds(
  db: Queryable,
  ids: readonly number[],
): Promise<Organisation[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('organisations')
    .select(COLUMNS)
    .where('id', 'in', [...ids])
    .execute();
  const byId = new Map(rows.map((row) => [row.id, toOrganisation(row)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export async function findOrganisationBySlug(
  db: Queryable,
  slug: string,
): Promise<Organisation | undefined> {
  const row = await db
    .selectFrom('organisations')
    .select(COLUMNS)
    .where('slug', '=', slug)
    .executeTakeFirst();
  return row ? toOrganisation(row) : undefined;
}

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

/** Creates or updates an organisation by slug; leaves an identical one untouched. */
export async function upsertOrganisation(
  db: Queryable,
  input: OrganisationInput,
  now: Date,
): Promise<{ id: number; outcome: UpsertOutcome }> {
  const existing = await db
    .selectFrom('organisations')
    .select(COLUMNS)
    .where('slug', '=', input.slug)
    .executeTakeFirst();
  const values = {
    name: input.name,
    country: input.country,
    website: input.website,
    language: input.language,
    description_md: input.descriptionMd,
    description_html: renderMarkdown(input.descriptionMd),
  };
  if (existing === undefined) {
    const inserted = await db
      .insertInto('organisations')
      .values({ slug: input.slug, ...values, created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: inserted.id, outcome: 'created' };
  }
  const same =
    existing.name === values.name &&
    existing.country === values.country &&
    existing.website === values.website &&
    existing.language === values.language &&
    existing.description_md === values.description_md;
  if (same) return { id: existing.id, outcome: 'unchanged' };
  await db
    .updateTable('organisations')
    .set({ ...values, updated_at: now })
    .where('id', '=', existing.id)
    .execute();
  return { id: existing.id, outcome: 'updated' };
}
