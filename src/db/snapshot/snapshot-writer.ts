import { type Kysely, sql } from 'kysely';
import { searchAdapter } from '../../search/index.ts';
import { pauseCounting, resumeCounting } from '../../statements/published-count-triggers.ts';
import type { DatabaseHandle } from '../connect.ts';
import type { Database, Queryable } from '../database.ts';
import type { Engine } from '../dialect.ts';
import { type MigrationTarget, migrateTo } from '../migrate.ts';
import {
  type ContentChecksum,
  combineChecksums,
  describeDifference,
  type TableChecksum,
  TableHasher,
} from './content-checksum.ts';
import { listTables, readAppliedMigrations } from './schema-info.ts';
import { assessSchemaLevel, sameLevel } from './schema-level.ts';
import { SnapshotError } from './snapshot-error.ts';
import {
  checksumTables,
  describeTables,
  type SnapshotProgress,
  type SnapshotRow,
  type SnapshotSource,
  type SnapshotTable,
} from './snapshot-reader.ts';
import { COPIED_TABLES, EPHEMERAL_TABLES, TRIGGER_KEPT_TABLES } from './table-order.ts';

// Bound parameters per INSERT: under SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_PARAMETERS = 30_000;

export interface WriteOptions {
  /** Empty a target that holds content, in the same transaction, instead of refusing. */
  force: boolean;
  /** What the rows must add up to, e.g. a backup file's header. */
  expected?: ContentChecksum;
  onProgress?: SnapshotProgress;
}

export interface WriteReport {
  checksum: ContentChecksum;
  /** Rows that were in the target before and were replaced (with force). */
  replacedRows: number;
  /** The schema the rows were written at: the source's. */
  sourceLevel: string;
  /** Migrations run first, to bring the target to the source's schema. */
  preparedWith: string[];
  /** Whether those were reverted, the target being ahead of the source. */
  preparedDown: boolean;
  /** Migrations run once the rows were in, to bring the target up to date. */
  upgradedWith: string[];
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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

/** The tables of a site, among those that exist at the database's schema. */
function siteTables(existing: readonly string[], order: 'copy' | 'reverse'): string[] {
  const copied = COPIED_TABLES.map((table) => table.name as string);
  const names =
    order === 'copy'
      ? [...copied, ...EPHEMERAL_TABLES]
      : [...EPHEMERAL_TABLES, ...copied.reverse()];
  return names.filter((name) => existing.includes(name));
}

async function emptyTables(db: Queryable, engine: Engine, existing: string[]): Promise<void> {
  const names = siteTables(existing, 'reverse');
  if (names.length === 0) return;
  if (engine === 'postgres') {
    // One truncate fires no row triggers, so the tables they keep are truncated with it.
    const kept = TRIGGER_KEPT_TABLES.filter((name) => existing.includes(name));
    await sql`truncate table ${sql.join(
      [...names, ...kept].map((name) => sql.table(name)),
    )} cascade`.execute(db);
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
 * The connection as the code writing inside the transaction must see it. Kysely marks only the
 * transactions it begins, and the search index rebuild begins its own unless it is inside one.
 */
function markedAsTransaction(connection: Kysely<Database>): Kysely<Database> {
  return new Proxy(connection, {
    get(target, property) {
      if (property === 'isTransaction') return true;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Runs `work` in one transaction on one connection. It is begun by hand, not by Kysely's
 * transaction(), so that migrations can run inside it: Kysely's migrator refuses a SQLite
 * transaction, and on a bare connection it begins none when told not to. `work` writes through
 * `trx` and migrates through `connection`, the same connection unmarked.
 */
async function withWriteTransaction<T>(
  target: DatabaseHandle,
  work: (trx: Kysely<Database>, connection: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return target.db.connection().execute(async (connection) => {
    // SQLite: take the write lock at once, as Kysely's transactions here do.
    await sql.raw(target.engine === 'sqlite' ? 'begin immediate' : 'begin').execute(connection);
    try {
      const result = await work(markedAsTransaction(connection), connection);
      await sql.raw('commit').execute(connection);
      return result;
    } catch (error) {
      await sql
        .raw('rollback')
        .execute(connection)
        .catch(() => {});
      throw error;
    }
  });
}

/** Migrates inside the write transaction; a failure rolls everything back. */
async function migrateInside(target: MigrationTarget, level: string): Promise<string[]> {
  try {
    return await migrateTo(target, level, { insideTransaction: true });
  } catch (error) {
    throw new SnapshotError(
      `${reason(error)} The transaction was rolled back; nothing was written.`,
    );
  }
}

/** The target's tables at the source's schema must be the source's, with the same columns. */
function matchTables(
  source: SnapshotSource,
  target: DatabaseHandle,
  targetTables: SnapshotTable[],
  level: string,
): void {
  const targetByName = new Map(targetTables.map((table) => [table.entry.name, table]));
  for (const table of source.tables) {
    const counterpart = targetByName.get(table.entry.name);
    if (counterpart === undefined)
      throw new SnapshotError(
        `${target.description} has no table ${table.entry.name} at schema ${level}, which ${source.description} holds. Nothing was written.`,
      );
    checkColumns(table, counterpart);
  }
  const sourceNames = new Set(source.tables.map((table) => table.entry.name));
  const missing = targetTables.filter((table) => !sourceNames.has(table.entry.name));
  if (missing.length > 0)
    throw new SnapshotError(
      `${source.description} lacks table ${missing.map((table) => table.entry.name).join(', ')}, which schema ${level} has. Nothing was written.`,
    );
}

/**
 * Writes a snapshot into `target` in one transaction, all or nothing: refuses a target with
 * content unless `force`; migrates the target (up or down) to the source's schema; inserts in
 * foreign-key order; reads everything back and rolls back unless the counts and checksum match
 * what was read from the source (and `expected`); then migrates the target to the latest schema.
 */
export async function writeSnapshot(
  target: DatabaseHandle,
  source: SnapshotSource,
  options: WriteOptions,
): Promise<WriteReport> {
  const sourceLevel = assessSchemaLevel(
    source.description,
    source.migrations,
    'upgrade Communiqué first.',
  );
  if (sourceLevel.migrations.length === 0)
    throw new SnapshotError(`${source.description} has no Communiqué schema (no migrations).`);
  const report = await withWriteTransaction(target, async (trx, connection) => {
    const existing = await listTables(trx, target.engine);
    if (target.engine === 'postgres') {
      // Writers on the target wait until the copy commits; readers go on reading the old content.
      const names = siteTables(existing, 'copy');
      if (names.length > 0)
        await sql`lock table ${sql.join(names.map((name) => sql.table(name)))} in exclusive mode`.execute(
          trx,
        );
    }
    const targetLevel = assessSchemaLevel(
      target.description,
      await readAppliedMigrations(trx, target.engine),
      'use the Communiqué that migrated it.',
    );
    const { tables: present } = await describeTables(trx, target.engine, target.description, {
      complete: targetLevel.atLatest,
    });
    const occupied = present.filter((table) => table.rows > 0);
    const replacedRows = occupied.reduce((sum, table) => sum + table.rows, 0);
    if (occupied.length > 0 && !options.force)
      throw new SnapshotError(
        `${target.description} is not empty (${occupied
          .map((table) => `${table.entry.name}: ${table.rows}`)
          .join(', ')}); nothing was written. Pass --force to replace its content.`,
      );

    // The search index and the published counts are rebuilt once at the end instead of by triggers
    // on every inserted row. Only the latest schema's can be paused; an older one keeps them as rows go in.
    const search = searchAdapter(target.engine);
    let indexPaused = false;
    const pauseIndex = async () => {
      if (indexPaused) return;
      await search.pauseIndexing(trx);
      await pauseCounting(trx, target.engine);
      indexPaused = true;
    };
    const resumeIndex = async () => {
      if (!indexPaused) return;
      await search.resumeIndexing(trx);
      await resumeCounting(trx, target.engine);
      indexPaused = false;
    };
    if (targetLevel.atLatest) await pauseIndex();
    if (options.force) await emptyTables(trx, target.engine, existing);

    const migrationTarget = { ...target, db: connection };
    let preparedWith: string[] = [];
    if (!sameLevel(targetLevel, sourceLevel)) {
      // Rebuilding the emptied index is quick, and the migrations may replace it.
      await resumeIndex();
      options.onProgress?.('migrate', sourceLevel.level, 0, 1);
      preparedWith = await migrateInside(migrationTarget, sourceLevel.level);
      options.onProgress?.('migrate', sourceLevel.level, 1, 1);
    }
    if (sourceLevel.atLatest) await pauseIndex();
    const { tables: targetTables } = await describeTables(trx, target.engine, target.description, {
      complete: sourceLevel.atLatest,
    });
    matchTables(source, target, targetTables, sourceLevel.level);

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
    if (indexPaused) {
      options.onProgress?.('index', 'search index', 0, 1);
      await resumeIndex();
      options.onProgress?.('index', 'search index', 1, 1);
    }

    // Read back at the source's schema, before any later migration reshapes the rows.
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

    let upgradedWith: string[] = [];
    if (!sourceLevel.atLatest) {
      options.onProgress?.('upgrade', sourceLevel.latest, 0, 1);
      upgradedWith = await migrateInside(migrationTarget, sourceLevel.latest);
      options.onProgress?.('upgrade', sourceLevel.latest, 1, 1);
    }
    return {
      checksum,
      replacedRows,
      sourceLevel: sourceLevel.level,
      preparedWith,
      preparedDown: targetLevel.migrations.length > sourceLevel.migrations.length,
      upgradedWith,
    };
  });
  if (target.engine === 'postgres') {
    // Fresh statistics, so the first queries on the copied site get good plans.
    await sql`analyze ${sql.join(COPIED_TABLES.map((table) => sql.table(table.name)))}`.execute(
      target.db,
    );
  }
  return report;
}
