import type { SQLInputValue } from 'node:sqlite';
import { renderMarkdown } from '../src/content/markdown.ts';
import type { Engine } from '../src/db/dialect.ts';

const YEAR_MS = 365.25 * 24 * 3600 * 1000;

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

const capitalise = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
const CAPITALISED_WORDS = WORDS.map(capitalise);

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
    names.add(capitalise(name));
  }
  return [...names];
})();

// Per-word odds of a named word and of a made-up rare word, when rare words are enabled.
const NAMED_RATE = 0.0003;
const RARE_RATE = 0.0008;

/** A small deterministic generator, so every run seeds the same site and asks the same queries. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Made-up text, built as strings: an array and a closure per word made it five times slower. */
export class TextGenerator {
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

  /** A word, with `capital` starting with a capital letter (names always do). */
  word(capital = false): string {
    if (this.#rareWords) {
      const roll = this.#random();
      if (roll < NAMED_RATE) return this.pick(NAMED_WORDS);
      if (roll < NAMED_RATE + RARE_RATE) return this.pick(RARE_WORDS);
    }
    return this.pick(capital ? CAPITALISED_WORDS : WORDS);
  }

  title(): string {
    let title = this.word(true);
    for (let left = this.int(4, 10) - 1; left > 0; left--) title += ` ${this.word()}`;
    return title;
  }

  /** A paragraph of `count` words in sentences, with occasional emphasis and links. */
  paragraph(count: number): string {
    let paragraph = '';
    let left = count;
    while (left > 0) {
      const length = Math.min(left, this.int(8, 20));
      left -= length;
      const comma = length > 10 && this.chance(0.4) ? this.int(3, length - 4) : -1;
      if (paragraph !== '') paragraph += ' ';
      for (let index = 0; index < length; index++) {
        const word = this.word(index === 0);
        const roll = this.#random();
        if (index > 0) paragraph += ' ';
        if (roll >= 0.024) paragraph += word;
        else if (roll < 0.01) paragraph += `**${word}**`;
        else if (roll < 0.02) paragraph += `*${word}*`;
        else paragraph += `[${word}](https://example.org/${word})`;
        if (index === comma) paragraph += ',';
      }
      paragraph += '.';
    }
    return paragraph;
  }

  /** 3–8 paragraphs of 40–120 words, sometimes with a subheading or a short list. */
  body(): string {
    let body = '';
    const paragraphs = this.int(3, 8);
    for (let index = 0; index < paragraphs; index++) {
      if (index > 1 && this.chance(0.1)) body += `## ${this.title()}\n\n`;
      if (index > 0 && this.chance(0.08)) {
        for (let item = this.int(2, 4); item > 0; item--)
          body += `- ${this.paragraph(this.int(6, 14))}${item > 1 ? '\n' : '\n\n'}`;
      }
      body += this.paragraph(this.int(40, 120));
      if (index < paragraphs - 1) body += '\n\n';
    }
    return body;
  }
}

function slugify(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

const OTHER_LANGUAGES = ['es', 'fr', 'ar', 'tr', 'el', 'de'];

/** An original's language: English, or with `multilingual` one in five in another language. */
function originalLanguage(id: number, multilingual: boolean): string {
  if (!multilingual || id % 5 !== 0) return 'en';
  return OTHER_LANGUAGES[(id / 5) % OTHER_LANGUAGES.length] ?? 'en';
}

/** Statements per batch: parameters per statement row times this stays under SQLite's 32,766. */
export const STATEMENT_BATCH = 500;

/** The statement columns in the order a batch carries them. */
export const STATEMENT_COLUMNS = [
  'id',
  'slug',
  'title',
  'body_md',
  'body_html',
  'summary_md',
  'summary_html',
  'language',
  'status',
  'published_at',
  'translation_of_id',
  'created_at',
  'updated_at',
] as const;

export const SIGNATORY_COLUMNS = ['statement_id', 'organisation_id', 'position'] as const;

/** PostgreSQL's string_to_array splits a column's text on this; no generated text contains either. */
export const FIELD_SEPARATOR = '\x1f';
export const NULL_FIELD = '\x1e';

/** SQLite: every row's values in column order, signatories as JSON; PostgreSQL: a text per column. */
export type EncodedBatch =
  | { engine: 'sqlite'; statements: SQLInputValue[]; signatories: string; signatoryCount: number }
  | { engine: 'postgres'; statements: string[]; signatories: string[]; signatoryCount: number };

/** What every batch of one seeding shares. */
export interface BatchSettings {
  engine: Engine;
  count: number;
  /** Milliseconds since the epoch of the newest possible publication. */
  newest: number;
  multilingual: boolean;
  rareWords: boolean;
}

const BATCH_SEED = 20240521;

/** Batch `index` from its own seed: the same whichever worker makes it, in whatever order. */
export function generateBatch(settings: BatchSettings, index: number): EncodedBatch {
  const text = new TextGenerator(
    (BATCH_SEED ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0,
    settings.rareWords,
  );
  const start = index * STATEMENT_BATCH + 1;
  const end = Math.min(settings.count, start + STATEMENT_BATCH - 1);
  const statements: SQLInputValue[][] = [];
  const signatories: number[][] = [];
  for (let id = start; id <= end; id++) {
    const title = text.title();
    const bodyMd = text.body();
    const summaryMd = text.chance(0.1) ? text.paragraph(text.int(25, 45)) : null;
    // About one in twenty is a translation of the statement before it.
    const translation = id > 1 && text.chance(0.05);
    const publishedAt = new Date(
      settings.newest - text.int(0, Math.floor(10 * YEAR_MS)),
    ).toISOString();
    let language = originalLanguage(id, settings.multilingual);
    if (translation) {
      language = text.pick(['es', 'fr', 'ar', 'tr']);
      // A version in its original's own language would be no translation: English instead.
      if (language === originalLanguage(id - 1, settings.multilingual)) language = 'en';
    }
    statements.push([
      id,
      `${slugify(title)}-${id}`,
      title,
      bodyMd,
      renderMarkdown(bodyMd),
      summaryMd,
      summaryMd === null ? null : renderMarkdown(summaryMd),
      language,
      'published',
      publishedAt,
      translation ? id - 1 : null,
      publishedAt,
      publishedAt,
    ]);
    const signers = new Set<number>();
    const wanted = text.int(1, 3);
    while (signers.size < wanted) signers.add(text.int(1, ORGANISATIONS.length));
    let position = 0;
    for (const organisationId of signers) signatories.push([id, organisationId, position++]);
  }
  if (settings.engine === 'sqlite') {
    return {
      engine: 'sqlite',
      statements: statements.flat(),
      signatories: JSON.stringify(signatories),
      signatoryCount: signatories.length,
    };
  }
  const joined = (rows: SQLInputValue[][], column: number) =>
    rows
      .map((row) => (row[column] === null ? NULL_FIELD : String(row[column])))
      .join(FIELD_SEPARATOR);
  return {
    engine: 'postgres',
    statements: STATEMENT_COLUMNS.map((_, column) => joined(statements, column)),
    signatories: SIGNATORY_COLUMNS.map((_, column) => joined(signatories, column)),
    signatoryCount: signatories.length,
  };
}
