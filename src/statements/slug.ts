import { slugFromText } from '../content/slug-text.ts';
import type { Queryable } from '../db/database.ts';

export { SLUG_PATTERN } from '../content/slug-text.ts';

const MAX_SLUG_LENGTH = 80;

/** A URL slug from a title; titles in other scripts fall back to a dated slug. */
export function slugify(title: string, fallbackDate: Date): string {
  const slug = slugFromText(title, MAX_SLUG_LENGTH);
  return slug.length >= 3 ? slug : `statement-${fallbackDate.toISOString().slice(0, 10)}`;
}

/** True when no other statement and no redirect already uses the slug. */
export async function slugIsFree(
  db: Queryable,
  slug: string,
  statementId: number | null,
): Promise<boolean> {
  let statements = db.selectFrom('statements').select('id').where('slug', '=', slug);
  if (statementId !== null) statements = statements.where('id', '!=', statementId);
  if ((await statements.executeTakeFirst()) !== undefined) return false;
  const redirect = await db
    .selectFrom('slug_redirects')
    .select('statement_id')
    .where('old_slug', '=', slug)
    .executeTakeFirst();
  return redirect === undefined || redirect.statement_id === statementId;
}

/** The slug itself if free, or the first free `slug-2`, `slug-3` … */
export async function uniqueSlug(
  db: Queryable,
  base: string,
  statementId: number | null,
): Promise<string> {
  if (await slugIsFree(db, base, statementId)) return base;
  for (let suffix = 2; ; suffix += 1) {
    const candidate = `${base.slice(0, MAX_SLUG_LENGTH - String(suffix).length - 1)}-${suffix}`;
    if (await slugIsFree(db, candidate, statementId)) return candidate;
  }
}
