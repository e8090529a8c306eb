import { can } from '../accounts/policy.ts';
import type { User } from '../accounts/user.ts';
import { type AuditActor, recordAudit } from '../audit/audit-log.ts';
import { renderMarkdown } from '../content/markdown.ts';
import { SLUG_PATTERN, slugFromText } from '../content/slug-text.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import type { Queryable } from '../db/database.ts';
import { bumpContentVersion, isValidLanguageTag } from '../settings/index.ts';
import { findOrganisationById } from './organisation-repository.ts';

/** Who is making a change to the directory. */
export interface OrganisationEditor {
  user: User;
  audit: AuditActor;
}

/** What the organisation form submits; validated here, not in the route. */
export interface OrganisationDraft {
  name: string;
  slug: string;
  country: string;
  website: string;
  language: string;
  descriptionMd: string;
}

/** An organisation in the back-office list, with how many statements it signed. */
export interface OrganisationListRow {
  id: number;
  slug: string;
  name: string;
  country: string;
  language: string;
  statementCount: number;
}

export class OrganisationInputError extends Error {
  readonly fields: Record<string, string>;
  constructor(fields: Record<string, string>) {
    super(Object.values(fields).join(' '));
    this.name = 'OrganisationInputError';
    this.fields = fields;
  }
}

export class OrganisationNotFoundError extends Error {
  constructor() {
    super('There is no such organisation.');
    this.name = 'OrganisationNotFoundError';
  }
}

export class OrganisationForbiddenError extends Error {
  constructor() {
    super('Your account is not allowed to manage organisations.');
    this.name = 'OrganisationForbiddenError';
  }
}

/** Deleting would silently remove the organisation's name from statements it signed. */
export class OrganisationInUseError extends Error {
  readonly statementCount: number;
  constructor(name: string, statementCount: number) {
    super(
      `${name} cannot be deleted: it signed ${statementCount} statement${statementCount === 1 ? '' : 's'}. Remove it from ${statementCount === 1 ? 'that statement' : 'those statements'} first.`,
    );
    this.name = 'OrganisationInUseError';
    this.statementCount = statementCount;
  }
}

const MAX_SLUG_LENGTH = 100;
const MAX_NAME_LENGTH = 300;
const MAX_DESCRIPTION_LENGTH = 100_000;

// Codes Intl can name that are not countries: unions, pseudo-locales and exceptional reservations.
const NOT_COUNTRIES = new Set([
  'EU',
  'EZ',
  'UN',
  'QO',
  'XA',
  'XB',
  'ZZ',
  'AC',
  'CP',
  'CQ',
  'DG',
  'EA',
  'IC',
  'TA',
]);

const englishRegionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

function buildCountryCodes(): string[] {
  const codes: string[] = [];
  for (let first = 65; first <= 90; first += 1) {
    for (let second = 65; second <= 90; second += 1) {
      const code = String.fromCharCode(first, second);
      if (NOT_COUNTRIES.has(code) || englishRegionNames.of(code) === undefined) continue;
      // Withdrawn codes such as UK or YU canonicalise to their successors; offer only current ones.
      if (Intl.getCanonicalLocales(`und-${code}`)[0] !== `und-${code}`) continue;
      codes.push(code);
    }
  }
  return codes;
}

/** ISO 3166-1 alpha-2 codes (plus XK, Kosovo) that an organisation may give as its country. */
export const COUNTRY_CODES: readonly string[] = buildCountryCodes();
const COUNTRY_SET = new Set(COUNTRY_CODES);

export function isCountryCode(code: string): boolean {
  return COUNTRY_SET.has(code);
}

/** A country's English name, or the code itself when Intl does not know it. */
export function englishCountryName(code: string): string {
  return (
    (/^[A-Za-z]{2}$/.test(code) ? englishRegionNames.of(code.toUpperCase()) : undefined) ?? code
  );
}

/** Every country for a select, sorted by English name. */
export function countryOptions(): { code: string; name: string }[] {
  const collator = new Intl.Collator('en');
  return COUNTRY_CODES.map((code) => ({ code, name: englishCountryName(code) })).sort((a, b) =>
    collator.compare(a.name, b.name),
  );
}

/** A slug from a name; '' when nothing usable is left. */
export function organisationSlugFromName(name: string): string {
  return slugFromText(name, MAX_SLUG_LENGTH);
}

async function slugIsFree(db: Queryable, slug: string, exceptId: number | null): Promise<boolean> {
  let query = db.selectFrom('organisations').select('id').where('slug', '=', slug);
  if (exceptId !== null) query = query.where('id', '!=', exceptId);
  return (await query.executeTakeFirst()) === undefined;
}

async function uniqueSlug(db: Queryable, base: string, exceptId: number | null): Promise<string> {
  if (await slugIsFree(db, base, exceptId)) return base;
  for (let suffix = 2; ; suffix += 1) {
    const candidate = `${base.slice(0, MAX_SLUG_LENGTH - String(suffix).length - 1).replace(/-+$/, '')}-${suffix}`;
    if (await slugIsFree(db, candidate, exceptId)) return candidate;
  }
}

type ValidOrganisation = {
  name: string;
  slug: string;
  country: string;
  website: string | null;
  language: string;
  descriptionMd: string;
};

async function validate(
  db: Queryable,
  draft: OrganisationDraft,
  organisationId: number | null,
): Promise<ValidOrganisation> {
  const errors: Record<string, string> = {};
  const name = draft.name.trim();
  if (name === '') errors.name = 'Give the organisation’s name.';
  else if (name.length > MAX_NAME_LENGTH)
    errors.name = `The name can be at most ${MAX_NAME_LENGTH} characters.`;

  const country = draft.country.trim().toUpperCase();
  if (country === '') errors.country = 'Choose the country the organisation works in.';
  else if (!isCountryCode(country))
    errors.country = `“${draft.country.trim()}” is not an ISO 3166-1 country code; choose a country from the list.`;

  let website: string | null = null;
  const websiteText = draft.website.trim();
  if (websiteText !== '') {
    try {
      const url = new URL(websiteText);
      if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '')
        throw new Error('not a web address');
      website = url.href;
      if (website.length > 2000) errors.website = 'The website address is too long.';
    } catch {
      errors.website =
        'Give the website as a full http:// or https:// address, e.g. https://example.org.';
    }
  }

  const languageText = draft.language.trim();
  let language = languageText;
  if (languageText === '' || !isValidLanguageTag(languageText))
    errors.language =
      'Give the organisation’s main language as a BCP 47 tag, e.g. en, ar or pt-BR.';
  else language = Intl.getCanonicalLocales(languageText)[0] ?? languageText;

  const descriptionMd = draft.descriptionMd.replace(/\r\n?/g, '\n').trim();
  if (descriptionMd.length > MAX_DESCRIPTION_LENGTH)
    errors.description = `The description can be at most ${MAX_DESCRIPTION_LENGTH.toLocaleString('en')} characters.`;

  let slug = draft.slug.trim().toLowerCase();
  if (slug !== '') {
    if (!SLUG_PATTERN.test(slug) || slug.length > MAX_SLUG_LENGTH)
      errors.slug = `Use lowercase letters a–z, digits and single hyphens only (at most ${MAX_SLUG_LENGTH}), e.g. steki-patras.`;
    else if (!(await slugIsFree(db, slug, organisationId)))
      errors.slug = `The address /organisations/${slug} is already used by another organisation.`;
  } else if (errors.name === undefined) {
    const base = organisationSlugFromName(name);
    if (base.length < 2)
      errors.slug =
        'The name has no Latin letters or digits to make an address from: type one, e.g. steki-patras.';
    else slug = await uniqueSlug(db, base, organisationId);
  }

  if (Object.keys(errors).length > 0) {
    // Messages in the order the fields appear on the form.
    const order = ['name', 'slug', 'country', 'language', 'website', 'description'];
    const sorted = Object.entries(errors).sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
    throw new OrganisationInputError(Object.fromEntries(sorted));
  }
  return { name, slug, country, website, language, descriptionMd };
}

function authorise(editor: OrganisationEditor): void {
  if (!can(editor.user, 'organisation.manage')) throw new OrganisationForbiddenError();
}

/** How many statements, in any state, an organisation signed. */
export async function countStatementsSignedBy(db: Queryable, id: number): Promise<number> {
  const row = await db
    .selectFrom('statement_signatories')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('organisation_id', '=', id)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function listOrganisationsForAdmin(db: Queryable): Promise<OrganisationListRow[]> {
  const [organisations, counts] = await Promise.all([
    db
      .selectFrom('organisations')
      .select(['id', 'slug', 'name', 'country', 'language'])
      .orderBy('name')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('statement_signatories')
      .select(['organisation_id', (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy('organisation_id')
      .execute(),
  ]);
  const countById = new Map(counts.map((row) => [row.organisation_id, Number(row.count)]));
  return organisations.map((organisation) => ({
    ...organisation,
    statementCount: countById.get(organisation.id) ?? 0,
  }));
}

export async function createOrganisation(
  handle: DatabaseHandle,
  editor: OrganisationEditor,
  draft: OrganisationDraft,
  now = new Date(),
): Promise<number> {
  authorise(editor);
  return handle.db.transaction().execute(async (trx) => {
    const organisation = await validate(trx, draft, null);
    const { id } = await trx
      .insertInto('organisations')
      .values({
        slug: organisation.slug,
        name: organisation.name,
        country: organisation.country,
        website: organisation.website,
        language: organisation.language,
        description_md: organisation.descriptionMd,
        description_html: renderMarkdown(organisation.descriptionMd),
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      editor.audit,
      'organisation.created',
      { type: 'organisation', id },
      { name: organisation.name, slug: organisation.slug },
      now,
    );
    await bumpContentVersion(trx);
    return id;
  });
}

export async function updateOrganisation(
  handle: DatabaseHandle,
  editor: OrganisationEditor,
  id: number,
  draft: OrganisationDraft,
  now = new Date(),
): Promise<void> {
  authorise(editor);
  await handle.db.transaction().execute(async (trx) => {
    const current = await findOrganisationById(trx, id);
    if (current === undefined) throw new OrganisationNotFoundError();
    // An emptied address field keeps the current address rather than making a new one.
    const organisation = await validate(
      trx,
      { ...draft, slug: draft.slug.trim() === '' ? current.slug : draft.slug },
      id,
    );
    const changed = (
      [
        ['name', current.name, organisation.name],
        ['slug', current.slug, organisation.slug],
        ['country', current.country, organisation.country],
        ['website', current.website, organisation.website],
        ['language', current.language, organisation.language],
        ['description', current.descriptionMd, organisation.descriptionMd],
      ] as const
    )
      .filter(([, before, after]) => before !== after)
      .map(([field]) => field);
    if (changed.length === 0) return;
    await trx
      .updateTable('organisations')
      .set({
        slug: organisation.slug,
        name: organisation.name,
        country: organisation.country,
        website: organisation.website,
        language: organisation.language,
        description_md: organisation.descriptionMd,
        description_html: renderMarkdown(organisation.descriptionMd),
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
    await recordAudit(
      trx,
      editor.audit,
      'organisation.updated',
      { type: 'organisation', id },
      { name: organisation.name, slug: organisation.slug, changed },
      now,
    );
    await bumpContentVersion(trx);
  });
}

/** Deletes an organisation that signed nothing; its members simply lose the membership. */
export async function deleteOrganisation(
  handle: DatabaseHandle,
  editor: OrganisationEditor,
  id: number,
  now = new Date(),
): Promise<void> {
  authorise(editor);
  await handle.db.transaction().execute(async (trx) => {
    const current = await findOrganisationById(trx, id);
    if (current === undefined) throw new OrganisationNotFoundError();
    const signed = await countStatementsSignedBy(trx, id);
    if (signed > 0) throw new OrganisationInUseError(current.name, signed);
    await trx.deleteFrom('organisations').where('id', '=', id).execute();
    await recordAudit(
      trx,
      editor.audit,
      'organisation.deleted',
      { type: 'organisation', id },
      { name: current.name, slug: current.slug },
      now,
    );
    await bumpContentVersion(trx);
  });
}
