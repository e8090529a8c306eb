import { can } from '../accounts/policy.ts';
import type { User } from '../accounts/user.ts';
import { type AuditActor, recordAudit } from '../audit/audit-log.ts';
import { renderMarkdown } from '../content/markdown.ts';
import { SLUG_PATTERN, slugFromText } from '../content/slug-text.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import { type Queryable, toDate } from '../db/database.ts';
import { bumpContentVersion, readSettings, writeSettings } from '../settings/index.ts';
import type { Page } from './page.ts';

/** Who is changing a page. */
export interface PageEditor {
  user: User;
  audit: AuditActor;
}

/** What the page form submits; validated here, not in the route. */
export interface PageDraft {
  title: string;
  slug: string;
  bodyMd: string;
}

export class PageInputError extends Error {
  readonly fields: Record<string, string>;
  constructor(fields: Record<string, string>) {
    super(Object.values(fields).join(' '));
    this.name = 'PageInputError';
    this.fields = fields;
  }
}

export class PageNotFoundError extends Error {
  constructor() {
    super('There is no such page.');
    this.name = 'PageNotFoundError';
  }
}

export class PageForbiddenError extends Error {
  constructor() {
    super('Your account is not allowed to manage pages.');
    this.name = 'PageForbiddenError';
  }
}

/** The page is the target of the site's about link, so deleting it would break that link. */
export class PageInUseError extends Error {
  constructor(path: string) {
    super(
      `The page ${path} is the site’s about page (the about link in the settings points to it), so it cannot be deleted. An administrator can point the about link elsewhere in Settings first.`,
    );
    this.name = 'PageInUseError';
  }
}

/** First path segments the public site itself answers, which a page must never shadow. */
export const RESERVED_PAGE_SLUGS: readonly string[] = [
  'admin',
  'api',
  'assets',
  'media',
  'statements',
  'organisations',
  'search',
  'archive',
  'feed.xml',
  'feed.atom',
  'feed.json',
  'sitemap.xml',
  'robots.txt',
  'healthz',
  'metrics',
];
const RESERVED = new Set(RESERVED_PAGE_SLUGS);

const MAX_SLUG_LENGTH = 200;
const MAX_TITLE_LENGTH = 500;
const MAX_BODY_LENGTH = 200_000;

export function pagePath(slug: string): string {
  return `/${slug}`;
}

/** A slug from a title; '' when nothing usable is left. */
export function pageSlugFromTitle(title: string): string {
  return slugFromText(title);
}

/** Language codes of the site are URL prefixes (/es/ …), so no page may take one as its address. */
async function isLanguagePrefix(db: Queryable, slug: string): Promise<boolean> {
  const settings = await readSettings(db);
  return [settings.language, ...settings.languages].some(
    (language) => language.toLowerCase() === slug,
  );
}

async function slugIsFree(db: Queryable, slug: string, exceptId: number | null): Promise<boolean> {
  if (RESERVED.has(slug) || (await isLanguagePrefix(db, slug))) return false;
  let query = db.selectFrom('pages').select('id').where('slug', '=', slug);
  if (exceptId !== null) query = query.where('id', '!=', exceptId);
  return (await query.executeTakeFirst()) === undefined;
}

async function uniqueSlug(db: Queryable, base: string, exceptId: number | null): Promise<string> {
  if (await slugIsFree(db, base, exceptId)) return base;
  for (let suffix = 2; ; suffix += 1) {
    const candidate = `${base}-${suffix}`;
    if (await slugIsFree(db, candidate, exceptId)) return candidate;
  }
}

async function validate(
  db: Queryable,
  draft: PageDraft,
  pageId: number | null,
): Promise<PageDraft> {
  const errors: Record<string, string> = {};
  const title = draft.title.trim();
  if (title === '') errors.title = 'Give the page a title.';
  else if (title.length > MAX_TITLE_LENGTH)
    errors.title = `The title can be at most ${MAX_TITLE_LENGTH} characters.`;

  const bodyMd = draft.bodyMd.replace(/\r\n?/g, '\n').trim();
  if (bodyMd === '') errors.body = 'Write the text of the page.';
  else if (bodyMd.length > MAX_BODY_LENGTH)
    errors.body = `The text can be at most ${MAX_BODY_LENGTH.toLocaleString('en')} characters.`;

  let slug = draft.slug.trim().toLowerCase().replace(/^\/+/, '');
  if (slug !== '') {
    if (RESERVED.has(slug) || (await isLanguagePrefix(db, slug)))
      errors.slug = `The address /${slug} is used by the site itself; choose another.`;
    else if (!SLUG_PATTERN.test(slug) || slug.length > MAX_SLUG_LENGTH)
      errors.slug = `Use lowercase letters a–z, digits and single hyphens only (at most ${MAX_SLUG_LENGTH}), e.g. about or contact-us.`;
    else if (!(await slugIsFree(db, slug, pageId)))
      errors.slug = `The address /${slug} is already used by another page.`;
  } else if (errors.title === undefined) {
    const base = pageSlugFromTitle(title);
    if (base.length < 2)
      errors.slug =
        'The title has no Latin letters or digits to make an address from: type one, e.g. about.';
    else slug = await uniqueSlug(db, base, pageId);
  }

  if (Object.keys(errors).length > 0) {
    // Messages in the order the fields appear on the form.
    const order = ['title', 'slug', 'body'];
    const sorted = Object.entries(errors).sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
    throw new PageInputError(Object.fromEntries(sorted));
  }
  return { title, slug, bodyMd };
}

function authorise(editor: PageEditor): void {
  if (!can(editor.user, 'page.manage')) throw new PageForbiddenError();
}

const COLUMNS = ['id', 'slug', 'title', 'body_md', 'body_html', 'updated_at'] as const;

export async function findPageById(db: Queryable, id: number): Promise<Page | undefined> {
  const row = await db.selectFrom('pages').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    bodyMd: row.body_md,
    bodyHtml: row.body_html,
    updatedAt: toDate(row.updated_at),
  };
}

export async function createPage(
  handle: DatabaseHandle,
  editor: PageEditor,
  draft: PageDraft,
  now = new Date(),
): Promise<number> {
  authorise(editor);
  return handle.db.transaction().execute(async (trx) => {
    const page = await validate(trx, draft, null);
    const { id } = await trx
      .insertInto('pages')
      .values({
        slug: page.slug,
        title: page.title,
        body_md: page.bodyMd,
        body_html: renderMarkdown(page.bodyMd),
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      editor.audit,
      'page.created',
      { type: 'page', id },
      { title: page.title, slug: page.slug },
      now,
    );
    await bumpContentVersion(trx);
    return id;
  });
}

/** Saves a page; when the about page moves, the about link in the settings follows it. */
export async function updatePage(
  handle: DatabaseHandle,
  editor: PageEditor,
  id: number,
  draft: PageDraft,
  now = new Date(),
): Promise<void> {
  authorise(editor);
  await handle.db.transaction().execute(async (trx) => {
    const current = await findPageById(trx, id);
    if (current === undefined) throw new PageNotFoundError();
    const page = await validate(
      trx,
      { ...draft, slug: draft.slug.trim() === '' ? current.slug : draft.slug },
      id,
    );
    const changed = (
      [
        ['title', current.title, page.title],
        ['slug', current.slug, page.slug],
        ['body', current.bodyMd, page.bodyMd],
      ] as const
    )
      .filter(([, before, after]) => before !== after)
      .map(([field]) => field);
    if (changed.length === 0) return;
    await trx
      .updateTable('pages')
      .set({
        slug: page.slug,
        title: page.title,
        body_md: page.bodyMd,
        body_html: renderMarkdown(page.bodyMd),
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
    const detail: Record<string, unknown> = { title: page.title, slug: page.slug, changed };
    if (page.slug !== current.slug) {
      const settings = await readSettings(trx);
      if (settings.aboutPath === pagePath(current.slug)) {
        await writeSettings(trx, { aboutPath: pagePath(page.slug) });
        detail.about_path = pagePath(page.slug);
      }
    }
    await recordAudit(trx, editor.audit, 'page.updated', { type: 'page', id }, detail, now);
    await bumpContentVersion(trx);
  });
}

export async function deletePage(
  handle: DatabaseHandle,
  editor: PageEditor,
  id: number,
  now = new Date(),
): Promise<void> {
  authorise(editor);
  await handle.db.transaction().execute(async (trx) => {
    const current = await findPageById(trx, id);
    if (current === undefined) throw new PageNotFoundError();
    const settings = await readSettings(trx);
    if (settings.aboutPath === pagePath(current.slug))
      throw new PageInUseError(pagePath(current.slug));
    await trx.deleteFrom('pages').where('id', '=', id).execute();
    await recordAudit(
      trx,
      editor.audit,
      'page.deleted',
      { type: 'page', id },
      { title: current.title, slug: current.slug },
      now,
    );
    await bumpContentVersion(trx);
  });
}
