import { createHash, type Hash } from 'node:crypto';
import { SnapshotError } from './snapshot-error.ts';

/** One table's share of the checksum. */
export interface TableChecksum {
  name: string;
  rows: number;
  /** SHA-256 (hex) of the table's canonical rows in primary-key order. */
  sha256: string;
}

/** Row counts and checksums of every copied table, and one checksum over all of them. */
export interface ContentChecksum {
  tables: TableChecksum[];
  sha256: string;
}

/** A value as both engines agree on it: instants as ISO strings, booleans and big integers as numbers. */
function canonicalValue(value: unknown, timestamp: boolean, where: () => string): unknown {
  if (value === null || value === undefined) return null;
  if (timestamp) {
    const instant = value instanceof Date ? value : new Date(String(value));
    // An unreadable instant keeps its text, so the checksum still sees it.
    return Number.isNaN(instant.getTime()) ? String(value) : instant.toISOString();
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint')
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  if (value instanceof Date) return value.toISOString();
  throw new SnapshotError(`${where()} holds a value of an unsupported type (${typeof value}).`);
}

/** Hashes one table's rows, given in primary-key order as arrays in `columns` order. */
export class TableHasher {
  readonly #name: string;
  readonly #columns: readonly string[];
  readonly #timestamps: ReadonlySet<string>;
  // Column positions in name order, so the engines' column order does not matter.
  readonly #sorted: number[];
  readonly #hash: Hash = createHash('sha256');
  #rows = 0;

  constructor(name: string, columns: readonly string[], timestamps: ReadonlySet<string>) {
    this.#name = name;
    this.#columns = columns;
    this.#timestamps = timestamps;
    this.#sorted = columns
      .map((column, index) => ({ column, index }))
      .sort((a, b) => (a.column < b.column ? -1 : a.column > b.column ? 1 : 0))
      .map((entry) => entry.index);
  }

  /** The canonical JSON of a row: columns by name, values normalised. */
  canonical(row: readonly unknown[]): string {
    const record: Record<string, unknown> = {};
    for (const index of this.#sorted) {
      const column = this.#columns[index] ?? '';
      record[column] = canonicalValue(
        row[index],
        this.#timestamps.has(column),
        () => `${this.#name}.${column}`,
      );
    }
    return JSON.stringify(record);
  }

  add(row: readonly unknown[]): void {
    this.#hash.update(this.canonical(row));
    this.#hash.update('\n');
    this.#rows += 1;
  }

  get rows(): number {
    return this.#rows;
  }

  finish(): TableChecksum {
    return { name: this.#name, rows: this.#rows, sha256: this.#hash.digest('hex') };
  }
}

/** The checksum of the whole content: one line per table, in copy order. */
export function combineChecksums(tables: TableChecksum[]): ContentChecksum {
  const hash = createHash('sha256');
  for (const table of tables) hash.update(`${table.name} ${table.rows} ${table.sha256}\n`);
  return { tables, sha256: hash.digest('hex') };
}

/** Says where two checksums first differ, or null when they agree. */
export function describeDifference(
  expected: ContentChecksum,
  actual: ContentChecksum,
): string | null {
  const actualByName = new Map(actual.tables.map((table) => [table.name, table]));
  for (const table of expected.tables) {
    const other = actualByName.get(table.name);
    if (other === undefined) return `table ${table.name} is missing`;
    if (other.rows !== table.rows)
      return `table ${table.name} has ${other.rows} rows, expected ${table.rows}`;
    if (other.sha256 !== table.sha256)
      return `table ${table.name} has ${table.rows} rows as expected but different content`;
  }
  for (const table of actual.tables)
    if (!expected.tables.some((entry) => entry.name === table.name))
      return `table ${table.name} was not expected`;
  return expected.sha256 === actual.sha256 ? null : 'the overall checksum differs';
}
