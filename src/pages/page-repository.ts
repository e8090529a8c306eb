import { renderMarkdown } from '../content/markdown.ts';
import { type Queryable, toDate } from '../db/database.ts';
import type { UpsertOutcome } from '../organisations/index.ts';
import type { Page, PageInput } from './page.ts';

const COLUMNS = ['id', 'slug', 'title', 'body_md', 'body_html', 'updated_at'] as const;

function toPage(row: {
  id: number;
  slug: string;
  title: string;
  body_md: string;
  body_html: string;
  updated_at: Date | string;
}): Page {
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    bodyMd: row.body_md,
    bodyHtml: row.body_html,
    updatedAt: toDate(row.updated_at),
  };
}

export async function findPageBySlug(db: Queryable, slug: string): Promise<Page | undefined> {
  const row = await db
    .selectFrom('pages')
    .select(COLUMNS)
    .where('slug', '=', slug)
    .executeTakeFirst();
  return row ? toPage(row) : undefined;
}

export async function listPages(db: Queryable): Promise<Page[]> {
  const rows = await db.selectFrom('pages').select(COLUMNS).orderBy('slug').execute();
  return rows.map(toPage);
}

/** Creates or updates a page by slug; leaves an identical one untouched. */
export async function upsertPage(
  db: Queryable,
  input: PageInput,
  now: Date,
): Promise<{ id: number; outcome: UpsertOutcome }> {
  const existing = await db
    .selectFrom('pages')
    .select(COLUMNS)
    .where('slug', '=', input.slug)
    .executeTakeFirst();
  const values = {
    title: input.title,
    body_md: input.bodyMd,
    body_html: renderMarkdown(input.bodyMd),
  };
  if (existing === undefined) {
    const inserted = await db
      .insertInto('pages')
      .values({ slug: input.slug, ...values, created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: inserted.id, outcome: 'created' };
  }
  if (existing.title === values.title && existing.body_md === values.body_md) {
    return { id: existing.id, outcome: 'unchanged' };
  }
  await db
    .updateTable('pages')
    .set({ ...values, updated_at: now })
    .where('id', '=', existing.id)
    .execute();
  return { id: existing.id, outcome: 'updated' };
}
