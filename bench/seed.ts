import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CompiledQuery, sql } from 'kysely';
import { parseDatabaseUrl } from '../src/config.ts';
import { renderMarkdown } from '../src/content/markdown.ts';
import type { DatabaseHandle } from '../src/db/connect.ts';
import { openDatabase } from '../src/db/connect.ts';
import { type Queryable, toDate } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { searchAdapter } from '../src/search/index.ts';
import { writeSettings } from '../src/settings/index.ts';
import { pauseCounting, resumeCounting } from '../src/statements/published-count-triggers.ts';
import {
  type BatchSettings,
  type EncodedBatch,
  FIELD_SEPARATOR,
  NULL_FIELD,
  ORGANISATIONS,
  SIGNATORY_COLUMNS,
  STATEMENT_BATCH,
  STATEMENT_COLUMNS,
  TextGenerator,
} from './seed-text.ts';
import type { SeedWorkerReply } from './seed-worker.ts';

export { NAMED_WORDS, ORGANISATIONS, RARE_WORDS, WORDS } from './seed-text.ts';

export interface SeedResult {
  statements: number;
  signatories: number;
  milliseconds: number;
  /** An English original's slug from the middle of the listing, for the statement page measurements. */
  sampleSlug: string;
  /** When that statement was published, for an archive year and month that have statements. */
  samplePublishedAt: Date;
  /** An organisation that signed it, for an organisation page with statements. */
  sampleOrganisationSlug: string;
  /** With `deferSearchIndex`: the part of `milliseconds` spent building the search index. */
  indexMilliseconds?: number;
}

export type SeedProgress = (done: number, total: number) => void;

/** Statements per listing page on the seeded site. */
export const SEED_PER_PAGE = 10;

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
    // New pages of a fresh file need no rollback journal, where WAL writes each page twice.
    if (handle.engine === 'sqlite') await sql`pragma journal_mode = delete`.execute(handle.db);
    const result = await seedHandle(handle, count, onProgress, {
      deferSearchIndex: searchIndex,
      skipSearchIndex: !searchIndex,
      multilingual: true,
      rareWords: options.rareWords ?? false,
    });
    if (handle.engine === 'sqlite') await sql`pragma journal_mode = wal`.execute(handle.db);
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

// Generation (mostly Markdown rendering) costs more than inserting: one worker per core, up to two.
const SEED_WORKERS = 2;
// Batches asked of the workers and not yet inserted: enough to keep both busy, a few MB each.
const BATCHES_AHEAD = 8;
// Requests each worker holds, so it starts its next batch without waiting for this thread.
const REQUESTS_PER_WORKER = 2;

/** Statement batches made by worker threads ahead of the inserts and handed out in id order. */
class BatchWorkers {
  readonly #workers: { worker: Worker; pending: number }[] = [];
  readonly #ready = new Map<number, EncodedBatch>();
  readonly #total: number;
  #nextToAsk = 0;
  #nextToTake = 0;
  #failure: Error | undefined;
  #waiting: { resolve(batch: EncodedBatch): void; reject(error: Error): void } | undefined;
  #closing = false;

  constructor(settings: BatchSettings, workers: number) {
    this.#total = Math.ceil(settings.count / STATEMENT_BATCH);
    for (let index = 0; index < workers; index++) {
      const entry = {
        worker: new Worker(new URL('./seed-worker.ts', import.meta.url), { workerData: settings }),
        pending: 0,
      };
      entry.worker.on('message', (reply: SeedWorkerReply) => this.#receive(entry, reply));
      entry.worker.on('error', (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        this.#fail(new Error(`A seed worker failed: ${reason}`, { cause: error }));
      });
      entry.worker.on('exit', (code) => {
        if (!this.#closing)
          this.#fail(new Error(`A seed worker stopped early (exit code ${code})`));
      });
      this.#workers.push(entry);
    }
    this.#dispatch();
  }

  get total(): number {
    return this.#total;
  }

  /** The next batch in id order, once a worker has made it. */
  take(): Promise<EncodedBatch> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const batch = this.#ready.get(this.#nextToTake);
    if (batch !== undefined) return Promise.resolve(this.#hand(batch));
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#workers.map(({ worker }) => worker.terminate()));
  }

  #hand(batch: EncodedBatch): EncodedBatch {
    this.#ready.delete(this.#nextToTake);
    this.#nextToTake++;
    this.#dispatch();
    return batch;
  }

  #dispatch(): void {
    while (this.#nextToAsk < this.#total && this.#nextToAsk < this.#nextToTake + BATCHES_AHEAD) {
      const idlest = this.#workers.reduce((best, entry) =>
        entry.pending < best.pending ? entry : best,
      );
      if (idlest.pending >= REQUESTS_PER_WORKER) return;
      idlest.pending++;
      idlest.worker.postMessage(this.#nextToAsk++);
    }
  }

  #receive(entry: { pending: number }, reply: SeedWorkerReply): void {
    entry.pending--;
    if ('error' in reply) {
      this.#fail(new Error(`A seed worker could not make batch ${reply.index}: ${reply.error}`));
      return;
    }
    this.#ready.set(reply.index, reply.batch);
    const waiting = this.#waiting;
    if (waiting !== undefined && reply.index === this.#nextToTake) {
      this.#waiting = undefined;
      waiting.resolve(this.#hand(reply.batch));
    } else {
      this.#dispatch();
    }
  }

  #fail(error: Error): void {
    if (this.#failure !== undefined || this.#closing) return;
    this.#failure = error;
    this.#waiting?.reject(error);
    this.#waiting = undefined;
  }
}

const into = (table: string, columns: readonly string[]) =>
  `insert into ${table} (${columns.join(', ')})`;

// One statement per batch size, so node:sqlite prepares the full batch's INSERT once.
const sqliteStatementInserts = new Map<number, string>();

function sqliteStatementInsert(rows: number): string {
  let text = sqliteStatementInserts.get(rows);
  if (text === undefined) {
    const row = `(${STATEMENT_COLUMNS.map(() => '?').join(', ')})`;
    text = `${into('statements', STATEMENT_COLUMNS)} values ${Array(rows).fill(row).join(', ')}`;
    sqliteStatementInserts.set(rows, text);
  }
  return text;
}

// The number of signatories varies per batch: one JSON array keeps it one prepared statement.
const SQLITE_SIGNATORY_INSERT = `${into('statement_signatories', SIGNATORY_COLUMNS)}
  select value ->> 0, value ->> 1, value ->> 2 from json_each(?)`;

type InsertedColumn = (typeof STATEMENT_COLUMNS)[number] | (typeof SIGNATORY_COLUMNS)[number];

/** Each inserted column's PostgreSQL type, to cast its split text to. */
const POSTGRES_TYPES: Record<InsertedColumn, string> = {
  id: 'integer',
  slug: 'text',
  title: 'text',
  body_md: 'text',
  body_html: 'text',
  summary_md: 'text',
  summary_html: 'text',
  language: 'text',
  status: 'text',
  published_at: 'timestamptz',
  translation_of_id: 'integer',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  statement_id: 'integer',
  organisation_id: 'integer',
  position: 'integer',
};

/** An INSERT of the rows from one text per column, split on FIELD_SEPARATOR. */
function postgresInsert(table: string, columns: readonly InsertedColumn[]): string {
  const separators = `$${columns.length + 1}, $${columns.length + 2}`;
  const arrays = columns.map(
    (column, index) => `string_to_array($${index + 1}, ${separators})::${POSTGRES_TYPES[column]}[]`,
  );
  return `${into(table, columns)} select * from unnest(${arrays.join(', ')})`;
}

const POSTGRES_STATEMENT_INSERT = postgresInsert('statements', STATEMENT_COLUMNS);
const POSTGRES_SIGNATORY_INSERT = postgresInsert('statement_signatories', SIGNATORY_COLUMNS);

/** One INSERT per table; PostgreSQL splits one text per column: array literals cost it 3x the parsing. */
async function insertBatch(db: Queryable, batch: EncodedBatch, rows: number): Promise<void> {
  if (batch.engine === 'sqlite') {
    await db.executeQuery(CompiledQuery.raw(sqliteStatementInsert(rows), batch.statements));
    await db.executeQuery(CompiledQuery.raw(SQLITE_SIGNATORY_INSERT, [batch.signatories]));
    return;
  }
  const separators = [FIELD_SEPARATOR, NULL_FIELD];
  await db.executeQuery(
    CompiledQuery.raw(POSTGRES_STATEMENT_INSERT, [...batch.statements, ...separators]),
  );
  await db.executeQuery(
    CompiledQuery.raw(POSTGRES_SIGNATORY_INSERT, [...batch.signatories, ...separators]),
  );
}

/** Fills an already migrated, empty database (either engine) with `count` statements. */
export async function seedHandle(
  handle: DatabaseHandle,
  count: number,
  onProgress: SeedProgress,
  options: SeedOptions = {},
): Promise<SeedResult> {
  const started = performance.now();
  const now = new Date();
  // Started first, so the workers load and make their first batches while the tables are prepared.
  const workers = new BatchWorkers(
    {
      engine: handle.engine,
      count,
      newest: now.getTime() - 24 * 3600 * 1000,
      multilingual: options.multilingual ?? false,
      rareWords: options.rareWords ?? false,
    },
    Math.min(SEED_WORKERS, availableParallelism()),
  );
  const adapter = searchAdapter(handle.engine);
  let signatories = 0;
  try {
    const pauseIndex = options.deferSearchIndex === true || options.skipSearchIndex === true;
    if (pauseIndex) await adapter.pauseIndexing(handle.db);
    // Published counts are counted once at the end, not recounted for every row.
    await pauseCounting(handle.db, handle.engine);
    const text = new TextGenerator(20240521, options.rareWords ?? false);
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

      // The workers make the next batches while this thread (SQLite) or the server writes one.
      for (let index = 0; index < workers.total; index++) {
        const batch = await workers.take();
        const end = Math.min(count, (index + 1) * STATEMENT_BATCH);
        await insertBatch(trx, batch, end - index * STATEMENT_BATCH);
        signatories += batch.signatoryCount;
        onProgress(end, count);
        // node:sqlite is synchronous, so without this Ctrl-C would wait for the whole seeding.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (handle.engine === 'postgres') {
        // Explicit ids leave the identity sequences behind; a statement created later must not collide.
        for (const table of ['statements', 'organisations', 'pages']) {
          await sql`select setval(pg_get_serial_sequence(${table}, 'id'), (select max(id) from ${sql.table(table)}))`.execute(
            trx,
          );
        }
      }
    });
  } finally {
    await workers.close();
  }
  await resumeCounting(handle.db, handle.engine);
  let indexMilliseconds: number | undefined;
  if (options.deferSearchIndex === true && options.skipSearchIndex !== true) {
    const indexStarted = performance.now();
    await adapter.resumeIndexing(handle.db);
    indexMilliseconds = performance.now() - indexStarted;
  }
  // Most statements on the seeded site are English originals: the sample is one, from the middle.
  const englishOriginals = handle.db
    .selectFrom('statements')
    .where('status', '=', 'published')
    .where('language', '=', 'en')
    .where('translation_of_id', 'is', null);
  const { total } = await englishOriginals
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow();
  const sample = await englishOriginals
    .select(['id', 'slug', 'published_at'])
    .orderBy('published_at', 'desc')
    .orderBy('id', 'desc')
    .offset(Math.floor(Number(total) / 2))
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
