import { type RawBuilder, sql } from 'kysely';
import type { DatabaseHandle } from '../connect.ts';
import type { Queryable } from '../database.ts';
import type { Engine } from '../dialect.ts';
import {
  type ContentChecksum,
  combineChecksums,
  type TableChecksum,
  TableHasher,
} from './content-checksum.ts';
import { type ColumnInfo, listTables, readAppliedMigrations, readColumns } from './schema-info.ts';
import { assessSchemaLevel } from './schema-level.ts';
import { SnapshotError } from './snapshot-error.ts';
import {
  COPIED_TABLES,
  type CopiedTableEntry,
  isDerivedTable,
  isKnownTable,
} from './table-order.ts';

/** Rows read (and written) per round trip: bounded memory, whatever the size of the site. */
export const BATCH_ROWS = 1000;

/** A row as values in the order of its table's `columns`. */
export type SnapshotRow = unknown[];

/** A copied table as a snapshot holds it. */
export interface SnapshotTable {
  entry: CopiedTableEntry;
  columns: ColumnInfo[];
  /** How many rows the snapshot holds. */
  rows: number;
}

/** Where a snapshot's rows come from: a database read transaction or a backup file. */
export interface SnapshotSource {
  description: string;
  migrations: string[];
  /** Every copied table, in copy order. */
  tables: SnapshotTable[];
  /** The rows of each table in primary-key order, in batches; each table must be read to its end before the next. */
  read(): AsyncIterable<{ table: SnapshotTable; batches: AsyncIterable<SnapshotRow[]> }>;
}

/** Called after each batch: which table, how many rows so far, of how many. */
export type SnapshotProgress = (phase: string, table: string, done: number, total: number) => void;

/** A database read inside one transaction, plus the tables it holds that copy does not know. */
export interface DatabaseSnapshot extends SnapshotSource {
  engine: Engine;
  unknownTables: string[];
}

function keyColumns(table: SnapshotTable): ColumnInfo[] {
  return table.entry.primaryKey.map((name) => {
    const column = table.columns.find((candidate) => candidate.name === name);
    if (column === undefined)
      throw new SnapshotError(`Table ${table.entry.name} has no primary key column ${name}.`);
    return column;
  });
}

/** A table's rows in primary-key order, a batch at a time, by key ranges (no offsets, no open cursor). */
export async function* readTableBatches(
  db: Queryable,
  engine: Engine,
  table: SnapshotTable,
  batchRows = BATCH_ROWS,
): AsyncGenerator<SnapshotRow[]> {
  const keys = keyColumns(table);
  // Text keys sort byte-wise on PostgreSQL too, as SQLite sorts them, so both engines agree on the order.
  const keyRef = (column: ColumnInfo): RawBuilder<unknown> =>
    engine === 'postgres' && column.text
      ? sql`${sql.ref(column.name)} collate "C"`
      : sql`${sql.ref(column.name)}`;
  const keyList = sql.join(keys.map(keyRef));
  const selectList = sql.join(table.columns.map((column) => sql.ref(column.name)));
  const keyPositions = keys.map((key) => table.columns.indexOf(key));
  let last: unknown[] | undefined;
  for (;;) {
    const after =
      last === undefined
        ? sql``
        : keys.length === 1
          ? sql`where ${keyList} > ${last[0]}`
          : sql`where (${keyList}) > (${sql.join(last)})`;
    const result = await sql<Record<string, unknown>>`select ${selectList}
      from ${sql.table(table.entry.name)} ${after} order by ${keyList} limit ${batchRows}`.execute(
      db,
    );
    if (result.rows.length === 0) return;
    const rows = result.rows.map((record) => table.columns.map((column) => record[column.name]));
    yield rows;
    const lastRow = rows[rows.length - 1] ?? [];
    last = keyPositions.map((position) => lastRow[position]);
    if (rows.length < batchRows) return;
  }
}

/** Reads every table back and hashes it, the same way a snapshot's rows were hashed. */
export async function checksumTables(
  db: Queryable,
  engine: Engine,
  tables: SnapshotTable[],
  onProgress?: SnapshotProgress,
): Promise<ContentChecksum> {
  const checksums: TableChecksum[] = [];
  for (const table of tables) {
    const hasher = new TableHasher(
      table.entry.name,
      table.columns.map((column) => column.name),
      table.entry.timestamps,
    );
    for await (const batch of readTableBatches(db, engine, table)) {
      for (const row of batch) hasher.add(row);
      onProgress?.('verify', table.entry.name, hasher.rows, table.rows);
    }
    onProgress?.('verify', table.entry.name, hasher.rows, hasher.rows);
    checksums.push(hasher.finish());
  }
  return combineChecksums(checksums);
}

/**
 * The copied tables of a database as they are now, with their columns and row counts. At the
 * latest schema (`complete`) every copied table must be there; an older schema lacks the newer ones.
 */
export async function describeTables(
  db: Queryable,
  engine: Engine,
  description: string,
  options: { complete: boolean },
): Promise<{ tables: SnapshotTable[]; unknownTables: string[] }> {
  const present = new Set(await listTables(db, engine));
  const tables: SnapshotTable[] = [];
  for (const entry of COPIED_TABLES) {
    if (!present.has(entry.name)) {
      if (!options.complete) continue;
      throw new SnapshotError(
        `${description} has no table ${entry.name}, which its schema should have; run communique migrate on it first.`,
      );
    }
    const columns = await readColumns(db, engine, entry.name);
    const counted = await sql<{ count: number | string }>`select count(*) as count
      from ${sql.table(entry.name)}`.execute(db);
    tables.push({ entry, columns, rows: Number(counted.rows[0]?.count ?? 0) });
  }
  const unknownTables = [...present].filter((name) => !isKnownTable(name) && !isDerivedTable(name));
  return { tables, unknownTables };
}

/**
 * Runs `use` on a stable snapshot of the database: PostgreSQL `repeatable read, read only`;
 * SQLite a deferred transaction, which in WAL mode reads one snapshot and never blocks writers.
 */
export async function withDatabaseSnapshot<T>(
  handle: DatabaseHandle,
  use: (snapshot: DatabaseSnapshot) => Promise<T>,
): Promise<T> {
  return handle.db.connection().execute(async (db) => {
    // Not Kysely's transaction(): on SQLite it begins `immediate`, which would hold the write lock.
    await sql
      .raw(
        handle.engine === 'sqlite'
          ? 'begin deferred'
          : 'begin transaction isolation level repeatable read, read only',
      )
      .execute(db);
    try {
      const migrations = await readAppliedMigrations(db, handle.engine);
      if (migrations.length === 0)
        throw new SnapshotError(
          `${handle.description} has no Communiqué schema (no migrations applied).`,
        );
      const { atLatest } = assessSchemaLevel(
        handle.description,
        migrations,
        'upgrade Communiqué first.',
      );
      const { tables, unknownTables } = await describeTables(
        db,
        handle.engine,
        handle.description,
        {
          complete: atLatest,
        },
      );
      const snapshot: DatabaseSnapshot = {
        description: handle.description,
        engine: handle.engine,
        migrations,
        tables,
        unknownTables,
        async *read() {
          for (const table of tables)
            yield { table, batches: readTableBatches(db, handle.engine, table) };
        },
      };
      const result = await use(snapshot);
      await sql.raw('commit').execute(db);
      return result;
    } catch (error) {
      await sql
        .raw('rollback')
        .execute(db)
        .catch(() => {});
      throw error;
    }
  });
}
