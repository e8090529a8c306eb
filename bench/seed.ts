import { sql } from 'kysely';
import { parseDatabaseUrl } from '../src/config.ts';
import { renderMarkdown } from '../src/content/markdown.ts';
import type { DatabaseHandle } from '../src/db/connect.ts';
import { openDatabase } from '../src/db/connect.ts';
import { type Queryable, toDate } from '../src/db/database.ts';
import type { Engine } from '../src/db/dialect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { searchAdapter } from '../src/search/index.ts';
import { writeSettings } from '../src/settings/index.ts';
import { pauseCounting, resumeCounting } from '../src/statements/published-count-triggers.ts';

export interface SeedResult {
  statements: number;
  signatories: number;
  milliseconds: number;
  /** A slug from the middle of the listing, for the statement page measurements. */
  sampleSlug: string;
  /** When that statement was published, for an archive year and month that have statements. */
  samplePublishedAt: Date;
  /** An organisation that signed it, for an organisation page with statements. */
  sampleOrganisationSlug: string;
  /** With `deferSearchIndex`: the part of `milliseconds` spent building the search index. */
  indexMilliseconds?: number;
}

export type SeedProgress = (done: number, total: number) => void;

// Parameters per statement row times this stays well under SQLite's 32,766 bound variables.
const STATEMENT_BATCH = 500;
const SIGNATORY_BATCH = 2000;
const YEAR_MS = 365.25 * 24 * 3600 * 1000;

/** Statements per listing page on the seeded site. */
export const SEED_PER_PAGE = 10;

export const WORDS = (
  'network solidarity workers tenants housing rights community members organisation ' +
  'campaign statement government ministry council city river pollution eviction families ' +
  'migrants domestic wages contract union strike meeting assembly neighbourhood support ' +
  'emergency fund repression journalists court judge hearing law reform public health ' +
  'water land farmers harvest season platform delivery riders landlords rent increase ' +
  'protest march women children schools teachers doctors nurses hospital clinic shelter ' +
  'earthquake flood drought fire recovery reconstruction volunteers donations food ' +
  'medicine transport border visa sponsorship deportation detention release justice ' +
  'accountability transparency budget report evidence testimony witness archive memory ' +
  'together across borders every week each month this year last spring autumn winter ' +
  'demand call urge welcome condemn support stand organise share build defend protect ' +
  'refuse resist remember continue begin finish meet speak listen write publish sign ' +
  'local national international regional urgent fair safe free open independent ' +
  'collective joint common basic decent affordable secure unpaid overdue illegal ' +
  'the a of and to in for with on by from at as that which who their our we they'
).split(' ');

export const ORGANISATIONS = [
  ['liffeyside-tenants', 'Liffeyside Tenants Union', 'IE', 'en'],
  ['nahr-association', 'Nahr Association for the River', 'LB', 'ar'],
  ['emek-dayanisma', 'Emek Dayanışma Ağı', 'TR', 'tr'],
  ['trabajadoras-hogar', 'Trabajadoras del Hogar Valparaíso', 'CL', 'es'],
  ['steki-patras', 'Steki Solidarity Centre Patras', 'GR', 'el'],
  ['sandigan-centre', 'Sandigan Migrant Centre', 'PH', 'en'],
  ['north-quay-riders', 'North Quay Riders Collective', 'GB', 'en'],
  ['casa-comun', 'Casa Común Rosario', 'AR', 'es'],
  ['harbour-watch', 'Harbour Watch Cooperative', 'ZA', 'en'],
  ['terre-partagee', 'Terre Partagée', 'FR', 'fr'],
  ['gemeinsam-wohnen', 'Gemeinsam Wohnen Leipzig', 'DE', 'de'],
  ['kilimo-haki', 'Kilimo Haki Farmers Network', 'KE', 'en'],
] as const;

/** Place and person names with diacritics, each in about one statement in fifty when enabled. */
export const NAMED_WORDS = [
  'Karacamlı',
  'Valparaíso',
  'Erdoğan',
  'Düsseldorf',
  'Kraków',
  'Brașov',
  'São',
  'Şanlıurfa',
  'Göçmen',
  'Ñuñoa',
] as const;

const SYLLABLES =
  'ka ra cam lı şe hir gö rü baş çe ne va lé ão ñe dü zel mar ti os ağ ya ku ör ba ği nó ță ep ul'.split(
    ' ',
  );

/** Deterministic made-up names, each in a few dozen statements of 100,000 when enabled. */
export const RARE_WORDS: readonly string[] = (() => {
  const random = mulberry32(7);
  const names = new Set<string>();
  while (names.size < 1500) {
    const count = 3 + Math.floor(random() * 2);
    let name = '';
    for (let index = 0; index < count; index++)
      name += SYLLABLES[Math.floor(random() * SYLLABLES.length)] ?? '';
    names.add(name.charAt(0).toUpperCase() + name.slice(1));
  }
  return [...names];
})();

// Per-word odds of a named word and of a made-up rare word, when rare words are enabled.
const NAMED_RATE = 0.0003;
const RARE_RATE = 0.0008;

/** A small deterministic generator, so every run seeds the same site. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class TextGenerator {
  readonly #random: () => number;
  readonly #rareWords: boolean;

  /** With `rareWords`, a few words are names (with diacritics) outside the common vocabulary. */
  constructor(seed: number, rareWords = false) {
    this.#random = mulberry32(seed);
    this.#rareWords = rareWords;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.#random() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.#random() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.#random() * items.length)];
    if (item === undefined) throw new Error('cannot pick from an empty list');
    return item;
  }

  word(): string {
    if (this.#rareWords) {
      const roll = this.#random();
      if (roll < NAMED_RATE) return this.pick(NAMED_WORDS);
      if (roll < NAMED_RATE + RARE_RATE) return this.pick(RARE_WORDS);
    }
    return this.pick(WORDS);
  }

  words(count: number): string[] {
    return Array.from({ length: count }, () => this.word());
  }

  title(): string {
    const words = this.words(this.int(4, 10));
    const first = words[0] ?? 'statement';
    words[0] = first.charAt(0).toUpperCase() + first.slice(1);
    return words.join(' ');
  }

  /** A paragraph of `count` words in sentences, with occasional emphasis and links. */
  paragraph(count: number): string {
    const parts: string[] = [];
    let left = count;
    while (left > 0) {
      const length = Math.min(left, this.int(8, 20));
      left -= length;
      const words = this.words(length).map((word) => {
        const roll = this.#random();
        if (roll >= 0.024) return word;
        if (roll < 0.01) return `**${word}**`;
        if (roll < 0.02) return `*${word}*`;
        return `[${word}](https://example.org/${word})`;
      });
      if (length > 10 && this.chance(0.4)) words[this.int(3, length - 4)] += ',';
      const first = words[0] ?? '';
      words[0] = first.charAt(0).toUpperCase() + first.slice(1);
      parts.push(`${words.join(' ')}.`);
    }
    return parts.join(' ');
  }

  /** 3–8 paragraphs of 40–120 words, sometimes with a subheading or a short list. */
  body(): string {
    const blocks: string[] = [];
    const paragraphs = this.int(3, 8);
    for (let index = 0; index < paragraphs; index++) {
      if (index > 1 && this.chance(0.1)) blocks.push(`## ${this.title()}`);
      if (index > 0 && this.chance(0.08)) {
        blocks.push(
          Array.from({ length: this.int(2, 4) }, () => `- ${this.paragraph(this.int(6, 14))}`).join(
            '\n',
          ),
        );
      }
      blocks.push(this.paragraph(this.int(40, 120)));
    }
    return blocks.join('\n\n');
  }
}

function slugify(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

async function insertOrganisations(db: Queryable, text: TextGenerator, now: Date): Promise<void> {
  await db
    .insertInto('organisations')
    .values(
      ORGANISATIONS.map(([slug, name, country, language], index) => {
        const descriptionMd = `${text.paragraph(60)}\n\n${text.paragraph(40)}`;
        return {
          id: index + 1,
          slug,
          name,
          country,
          website: `https://${slug}.example.org/`,
          language,
          description_md: descriptionMd,
          description_html: renderMarkdown(descriptionMd),
          created_at: now,
          updated_at: now,
        };
      }),
    )
    .execute();
}

/** What `seedEngine` seeds besides the statements themselves. */
export interface SeedEngineOptions {
  /** Mix rare and accented names into the text (for search measurements); changes the content. */
  rareWords?: boolean;
  /** Build the search index (the default); false leaves it empty, for runs that never search. */
  searchIndex?: boolean;
}

/**
 * Migrates and fills an empty database (a SQLite file or a PostgreSQL database) with a realistic,
 * multilingual network of `count` statements and their search index, built once after the rows,
 * and leaves it as production would have it: vacuumed and analysed. The time covers all of it.
 */
export async function seedEngine(
  databaseUrl: string,
  count: number,
  onProgress: SeedProgress,
  options: SeedEngineOptions = {},
): Promise<SeedResult> {
  const started = performance.now();
  const handle = await openDatabase(parseDatabaseUrl(databaseUrl));
  try {
    await migrateToLatest(handle);
    const searchIndex = options.searchIndex ?? true;
    const result = await seedHandle(handle, count, onProgress, {
      deferSearchIndex: searchIndex,
      skipSearchIndex: !searchIndex,
      multilingual: true,
      rareWords: options.rareWords ?? false,
    });
    // Autovacuum (or SQLite's optimize) would have run on a real site; statistics steer the plans.
    if (handle.engine === 'postgres') await sql`vacuum analyze`.execute(handle.db);
    else await sql`pragma optimize`.execute(handle.db);
    return { ...result, milliseconds: performance.now() - started };
  } finally {
    await handle.close();
  }
}

export interface SeedOptions {
  /** Mix rare and accented names into the text (for search measurements); changes the content. */
  rareWords?: boolean;
  /**
   * Pause the search index before inserting and rebuild it once afterwards, instead of letting the
   * triggers index each statement once per inserted row (statement and each signatory).
   */
  deferSearchIndex?: boolean;
  /** Pause the search index and leave it empty: for benchmarks that never search. */
  skipSearchIndex?: boolean;
  /**
   * One original in five in another language than English (the same words, another language
   * tag), so listings meet originals that the language views must check for translations.
   */
  multilingual?: boolean;
}

interface StatementRow {
  id: number;
  slug: string;
  title: string;
  body_md: string;
  body_html: string;
  summary_md: string | null;
  summary_html: string | null;
  language: string;
  status: string;
  published_at: Date;
  translation_of_id: number | null;
  created_at: Date;
  updated_at: Date;
}

interface SignatoryRow {
  statement_id: number;
  organisation_id: number;
  position: number;
}

const OTHER_LANGUAGES = ['es', 'fr', 'ar', 'tr', 'el', 'de'];

/** An original's language: English, or with `multilingual` one in five in another language. */
function originalLanguage(id: number, multilingual: boolean): string {
  if (!multilingual || id % 5 !== 0) return 'en';
  return OTHER_LANGUAGES[(id / 5) % OTHER_LANGUAGES.length] ?? 'en';
}

/** Statements `start`..`end` and their signatories, drawn from `text` in id order. */
function generateBatch(
  text: TextGenerator,
  start: number,
  end: number,
  newest: number,
  multilingual: boolean,
): { statements: StatementRow[]; signatories: SignatoryRow[] } {
  const statements: StatementRow[] = [];
  const signatories: SignatoryRow[] = [];
  for (let id = start; id <= end; id++) {
    const title = text.title();
    const bodyMd = text.body();
    const summaryMd = text.chance(0.1) ? text.paragraph(text.int(25, 45)) : null;
    // About one in twenty is a translation of the statement before it.
    const translation = id > 1 && text.chance(0.05);
    const publishedAt = new Date(newest - text.int(0, Math.floor(10 * YEAR_MS)));
    let language = originalLanguage(id, multilingual);
    if (translation) {
      language = text.pick(['es', 'fr', 'ar', 'tr']);
      // A version in its original's own language would be no translation: English instead.
      if (language === originalLanguage(id - 1, multilingual)) language = 'en';
    }
    statements.push({
      id,
      slug: `${slugify(title)}-${id}`,
      title,
      body_md: bodyMd,
      body_html: renderMarkdown(bodyMd),
      summary_md: summaryMd,
      summary_html: summaryMd === null ? null : renderMarkdown(summaryMd),
      language,
      status: 'published',
      published_at: publishedAt,
      translation_of_id: translation ? id - 1 : null,
      created_at: publishedAt,
      updated_at: publishedAt,
    });
    const signers = new Set<number>();
    const wanted = text.int(1, 3);
    while (signers.size < wanted) signers.add(text.int(1, ORGANISATIONS.length));
    [...signers].forEach((organisationId, position) => {
      signatories.push({ statement_id: id, organisation_id: organisationId, position });
    });
  }
  return { statements, signatories };
}

/** Each column of `rows` as one array, for `unnest`. */
function columnOf<Row, Key extends keyof Row>(rows: Row[], key: Key): Row[Key][] {
  return rows.map((row) => row[key]);
}

/**
 * One batch in one statement per table. PostgreSQL gets one array per column through `unnest`:
 * parsing a multi-row VALUES list with thousands of parameters cost more than inserting the rows.
 */
async function insertBatch(
  db: Queryable,
  engine: Engine,
  batch: { statements: StatementRow[]; signatories: SignatoryRow[] },
): Promise<void> {
  if (engine === 'sqlite') {
    await db.insertInto('statements').values(batch.statements).execute();
    for (let start = 0; start < batch.signatories.length; start += SIGNATORY_BATCH) {
      await db
        .insertInto('statement_signatories')
        .values(batch.signatories.slice(start, start + SIGNATORY_BATCH))
        .execute();
    }
    return;
  }
  const rows = batch.statements;
  await sql`insert into statements (id, slug, title, body_md, body_html, summary_md, summary_html,
      language, status, published_at, translation_of_id, created_at, updated_at)
    select * from unnest(${columnOf(rows, 'id')}::integer[], ${columnOf(rows, 'slug')}::text[],
      ${columnOf(rows, 'title')}::text[], ${columnOf(rows, 'body_md')}::text[],
      ${columnOf(rows, 'body_html')}::text[], ${columnOf(rows, 'summary_md')}::text[],
      ${columnOf(rows, 'summary_html')}::text[], ${columnOf(rows, 'language')}::text[],
      ${columnOf(rows, 'status')}::text[], ${columnOf(rows, 'published_at')}::timestamptz[],
      ${columnOf(rows, 'translation_of_id')}::integer[], ${columnOf(rows, 'created_at')}::timestamptz[],
      ${columnOf(rows, 'updated_at')}::timestamptz[])`.execute(db);
  const signatories = batch.signatories;
  await sql`insert into statement_signatories (statement_id, organisation_id, position)
    select * from unnest(${columnOf(signatories, 'statement_id')}::integer[],
      ${columnOf(signatories, 'organisation_id')}::integer[],
      ${columnOf(signatories, 'position')}::integer[])`.execute(db);
}

/** Fills an already migrated, empty database (either engine) with `count` statements. */
export async function seedHandle(
  handle: DatabaseHandle,
  count: number,
  onProgress: SeedProgress,
  options: SeedOptions = {},
): Promise<SeedResult> {
  const started = performance.now();
  const adapter = searchAdapter(handle.engine);
  const pauseIndex = options.deferSearchIndex === true || options.skipSearchIndex === true;
  if (pauseIndex) await adapter.pauseIndexing(handle.db);
  // Published counts are counted once at the end, not recounted for every row.
  await pauseCounting(handle.db, handle.engine);
  const text = new TextGenerator(20240521, options.rareWords ?? false);
  const now = new Date();
  const newest = now.getTime() - 24 * 3600 * 1000;
  let signatories = 0;
  await handle.db.transaction().execute(async (trx) => {
    await writeSettings(trx, {
      title: 'The Wider Table',
      introMd: `**The Wider Table** is a network of grassroots organisations. ${text.paragraph(70)}`,
      aboutLabel: 'Find out more',
      aboutPath: '/about',
      language: 'en',
      timezone: 'Europe/London',
      perPage: SEED_PER_PAGE,
    });
    const aboutMd = `## Who we are\n\n${text.paragraph(110)}\n\n## How we work\n\n${text.paragraph(90)}`;
    await trx
      .insertInto('pages')
      .values({
        slug: 'about',
        title: 'About the network',
        body_md: aboutMd,
        body_html: renderMarkdown(aboutMd),
        created_at: now,
        updated_at: now,
      })
      .execute();
    await insertOrganisations(trx, text, now);

    // The database writes one batch while the next is generated (PostgreSQL is another process).
    let writing: Promise<void> = Promise.resolve();
    for (let start = 1; start <= count; start += STATEMENT_BATCH) {
      const end = Math.min(count, start + STATEMENT_BATCH - 1);
      const batch = generateBatch(text, start, end, newest, options.multilingual ?? false);
      await writing;
      writing = insertBatch(trx, handle.engine, batch);
      // Handled when awaited; this only keeps a failure meanwhile from counting as unhandled.
      writing.catch(() => {});
      signatories += batch.signatories.length;
      onProgress(end, count);
      // node:sqlite is synchronous, so without this Ctrl-C would wait for the whole seeding.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await writing;
    if (handle.engine === 'postgres') {
      // Explicit ids leave the identity sequences behind; a statement created later must not collide.
      for (const table of ['statements', 'organisations', 'pages']) {
        await sql`select setval(pg_get_serial_sequence(${table}, 'id'), (select max(id) from ${sql.table(table)}))`.execute(
          trx,
        );
      }
    }
  });
  await resumeCounting(handle.db, handle.engine);
  let indexMilliseconds: number | undefined;
  if (options.deferSearchIndex === true && options.skipSearchIndex !== true) {
    const indexStarted = performance.now();
    await adapter.resumeIndexing(handle.db);
    indexMilliseconds = performance.now() - indexStarted;
  }
  const sample = await handle.db
    .selectFrom('statements')
    .select(['id', 'slug', 'published_at'])
    .where('status', '=', 'published')
    .orderBy('published_at', 'desc')
    .orderBy('id', 'desc')
    .offset(Math.floor(count / 2))
    .limit(1)
    .executeTakeFirstOrThrow();
  const signer = await handle.db
    .selectFrom('statement_signatories')
    .innerJoin('organisations', 'organisations.id', 'statement_signatories.organisation_id')
    .select('organisations.slug')
    .where('statement_signatories.statement_id', '=', sample.id)
    .orderBy('statement_signatories.position')
    .executeTakeFirstOrThrow();
  return {
    statements: count,
    signatories,
    milliseconds: performance.now() - started,
    sampleSlug: sample.slug,
    samplePublishedAt: toDate(sample.published_at),
    sampleOrganisationSlug: signer.slug,
    ...(indexMilliseconds === undefined ? {} : { indexMilliseconds }),
  };
}
