import { sql } from 'kysely';
import { searchAdapter } from '../../search/index.ts';
import type { DatabaseHandle } from '../connect.ts';
import type { Queryable } from '../database.ts';
import type { Engine } from '../dialect.ts';
import {
  type ContentChecksum,
  combineChecksums,
  describeDifference,
  type TableChecksum,
  TableHasher,
} from './content-checksum.ts';
import { readAppliedMigrations } from './schema-info.ts';
import { SnapshotError } from './snapshot-error.ts';
import {
  checksumTables,
  describeTables,
  type SnapshotProgress,
  type SnapshotRow,
  type SnapshotSource,
  type SnapshotTable,
} from './snapshot-reader.ts';
import { COPIED_TABLES, EPHEMERAL_TABLES } from './table-order.ts';

// Bound parameters per INSERT: under SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_PARAMETERS = 30_000;

export interface WriteOptions {
  /** Empty a target that holds content, in the same transaction, instead of refusing. */
  force: boolean;
  /** What the rows must add up to, e.g. a backup file's header. */
  expected?: ContentChecksum;
  /** Advice appended when the source's schema is older than the target's. */
  olderSourceAdvice: string;
  onProgress?: SnapshotProgress;
}

export interface WriteReport {
  checksum: ContentChecksum;
  /** Rows that were in the target before and were replaced (with force). */
  replacedRows: number;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Refuses a source whose schema is not exactly the target's. */
export function checkMigrations(
  source: Pick<SnapshotSource, 'description' | 'migrations'>,
  target: DatabaseHandle,
  targetMigrations: string[],
  olderSourceAdvice: string,
): void {
  const known = new Set(targetMigrations);
  const newer = source.migrations.filter((name) => !known.has(name));
  if (newer.length > 0)
    throw new SnapshotError(
      `${source.description} has a newer schema than this Communiqué knows (migration ${newer.join(', ')}); upgrade Communiqué first. Nothing was written.`,
    );
  const have = new Set(source.migrations);
  const older = targetMigrations.filter((name) => !have.has(name));
  if (older.length > 0)
    throw new SnapshotError(
      `${source.description} has an older schema than ${target.description} (it lacks migration ${older.join(', ')}). ${olderSourceAdvice} Nothing was written.`,
    );
}

function checkColumns(source: SnapshotTable, target: SnapshotTable): void {
  const theirs = new Set(target.columns.map((column) => column.name));
  const ours = new Set(source.columns.map((column) => column.name));
  const missing = [...ours].filter((name) => !theirs.has(name));
  const extra = [...theirs].filter((name) => !ours.has(name));
  if (missing.length > 0 || extra.length > 0)
    throw new SnapshotError(
      `Table ${source.entry.name} has different columns in the source and the target (${[
        ...missing.map((name) => `only in the source: ${name}`),
        ...extra.map((name) => `only in the target: ${name}`),
      ].join('; ')}). Nothing was written.`,
    );
}

async function emptyTables(db: Queryable, engine: Engine): Promise<void> {
  const names = [...EPHEMERAL_TABLES, ...COPIED_TABLES.map((table) => table.name).reverse()];
  if (engine === 'postgres') {
    // One truncate fires no row triggers; cascade takes the search index along.
    await sql`truncate table ${sql.join(names.map((name) => sql.table(name)))} cascade`.execute(db);
    return;
  }
  for (const name of names) await sql`delete from ${sql.table(name)}`.execute(db);
}

async function insertRows(db: Queryable, table: SnapshotTable, rows: SnapshotRow[]): Promise<void> {
  const perInsert = Math.max(1, Math.floor(MAX_PARAMETERS / table.columns.length));
  const columnList = sql.join(table.columns.map((column) => sql.ref(column.name)));
  for (let start = 0; start < rows.length; start += perInsert) {
    const chunk = rows.slice(start, start + perInsert);
    await sql`insert into ${sql.table(table.entry.name)} (${columnList}) values ${sql.join(
      chunk.map((row) => sql`(${sql.join(row)})`),
    )}`.execute(db);
  }
}

/** Self-references are inserted empty and set once every row of the table is in. */
class SelfReferences {
  readonly #table: SnapshotTable;
  readonly #positions: number[];
  readonly #keyPositions: number[];
  readonly #pending: { key: unknown[]; values: unknown[] }[] = [];

  constructor(table: SnapshotTable) {
    const names = table.columns.map((column) => column.name);
    this.#table = table;
    this.#positions = table.entry.selfReferences.map((name) => names.indexOf(name));
    this.#keyPositions = table.entry.primaryKey.map((name) => names.indexOf(name));
  }

  /** The row as it can be inserted now; remembers what to fill in later. */
  detach(row: SnapshotRow): SnapshotRow {
    if (this.#positions.every((position) => row[position] === null || row[position] === undefined))
      return row;
    this.#pending.push({
      key: this.#keyPositions.map((position) => row[position]),
      values: this.#positions.map((position) => row[position]),
    });
    const detached = [...row];
    for (const position of this.#positions) detached[position] = null;
    return detached;
  }

  async apply(db: Queryable): Promise<void> {
    const { entry } = this.#table;
    for (const { key, values } of this.#pending) {
      const assignments = sql.join(
        entry.selfReferences.map((name, index) => sql`${sql.ref(name)} = ${values[index]}`),
      );
      const where = sql.join(
        entry.primaryKey.map((name, index) => sql`${sql.ref(name)} = ${key[index]}`),
        sql` and `,
      );
      await sql`update ${sql.table(entry.name)} set ${assignments} where ${where}`.execute(db);
    }
  }
}

/** New rows get fresh ids after the copy: PostgreSQL identities start past the copied ids. */
async function resetSequences(
  db: Queryable,
  engine: Engine,
  tables: SnapshotTable[],
): Promise<void> {
  // SQLite's AUTOINCREMENT already moved past every id inserted explicitly.
  if (engine !== 'postgres') return;
  for (const table of tables) {
    if (!table.columns.some((column) => column.name === 'id')) continue;
    const found = await sql<{
      sequence: string | null;
    }>`select pg_get_serial_sequence(${table.entry.name}, 'id') as sequence`.execute(db);
    const sequence = found.rows[0]?.sequence;
    if (sequence === null || sequence === undefined) continue;
    await sql`select setval(${sequence}, coalesce((select max(id) from ${sql.table(
      table.entry.name,
    )}), 0) + 1, false)`.execute(db);
  }
}

/**
 * Writes a snapshot into an already migrated target in one transaction: refuses a target with
 * content unless `force`, inserts in foreign-key order, then reads everything back and rolls
 * back unless the counts and checksum match what was read from the source (and `expected`).
 */
export async function writeSnapshot(
  target: DatabaseHandle,
  source: SnapshotSource,
  options: WriteOptions,
): Promise<WriteReport> {
  const targetMigrations = await readAppliedMigrations(target.db, target.engine);
  checkMigrations(source, target, targetMigrations, options.olderSourceAdvice);
  const report = await target.db.transaction().execute(async (trx) => {
    if (target.engine === 'postgres') {
      // Writers on the target wait until the copy commits; readers go on reading the old content.
      const names = [...COPIED_TABLES.map((table) => table.name), ...EPHEMERAL_TABLES];
      await sql`lock table ${sql.join(names.map((name) => sql.table(name)))} in exclusive mode`.execute(
        trx,
      );
    }
    const { tables: targetTables } = await describeTables(trx, target.engine, target.description);
    const targetByName = new Map(targetTables.map((table) => [table.entry.name, table]));
    for (const table of source.tables) {
      const counterpart = targetByName.get(table.entry.name);
      if (counterpart === undefined)
        throw new SnapshotError(`${target.description} has no table ${table.entry.name}.`);
      checkColumns(table, counterpart);
    }
    const occupied = targetTables.filter((table) => table.rows > 0);
    const replacedRows = occupied.reduce((sum, table) => sum + table.rows, 0);
    if (occupied.length > 0 && !options.force)
      throw new SnapshotError(
        `${target.description} is not empty (${occupied
          .map((table) => `${table.entry.name}: ${table.rows}`)
          .join(', ')}); nothing was written. Pass --force to replace its content.`,
      );
    // The search index is rebuilt once at the end instead of by triggers on every inserted row.
    const search = searchAdapter(target.engine);
    await search.pauseIndexing(trx);
    if (options.force) await emptyTables(trx, target.engine);

    const written: TableChecksum[] = [];
    for await (const { table, batches } of source.read()) {
      const hasher = new TableHasher(
        table.entry.name,
        table.columns.map((column) => column.name),
        table.entry.timestamps,
      );
      const selfReferences = new SelfReferences(table);
      options.onProgress?.('write', table.entry.name, 0, table.rows);
      try {
        for await (const batch of batches) {
          for (const row of batch) hasher.add(row);
          await insertRows(
            trx,
            table,
            batch.map((row) => selfReferences.detach(row)),
          );
          options.onProgress?.('write', table.entry.name, hasher.rows, table.rows);
        }
        await selfReferences.apply(trx);
      } catch (error) {
        if (error instanceof SnapshotError) throw error;
        throw new SnapshotError(
          `Writing ${table.entry.name} into ${target.description} failed, so nothing was written: ${reason(error)}`,
        );
      }
      if (hasher.rows !== table.rows)
        throw new SnapshotError(
          `${source.description} gave ${hasher.rows} rows for ${table.entry.name} instead of ${table.rows}; nothing was written.`,
        );
      written.push(hasher.finish());
    }
    const checksum = combineChecksums(written);
    if (options.expected !== undefined) {
      const difference = describeDifference(options.expected, checksum);
      if (difference !== null)
        throw new SnapshotError(
          `${source.description} does not match its own checksum (${difference}); nothing was written.`,
        );
    }
    await resetSequences(trx, target.engine, targetTables);
    options.onProgress?.('index', 'search index', 0, 1);
    await search.resumeIndexing(trx);
    options.onProgress?.('index', 'search index', 1, 1);

    const readBack = await checksumTables(
      trx,
      target.engine,
      targetTables.map((table) => ({
        ...table,
        rows: checksum.tables.find((entry) => entry.name === table.entry.name)?.rows ?? 0,
      })),
      options.onProgress,
    );
    const difference = describeDifference(checksum, readBack);
    if (difference !== null)
      throw new SnapshotError(
        `Verification failed on ${target.description}: ${difference}. The transaction was rolled back; nothing was written.`,
      );
    return { checksum, replacedRows };
  });
  if (target.engine === 'postgres') {
    // Fresh statistics, so the first queries on the copied site get good plans.
    await sql`analyze ${sql.join(COPIED_TABLES.map((table) => sql.table(table.name)))}`.execute(
      target.db,
    );
  }
  return report;
}
