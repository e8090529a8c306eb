import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createGzip, gzipSync } from 'node:zlib';
import {
  type ContentChecksum,
  combineChecksums,
  describeDifference,
  type TableChecksum,
  TableHasher,
} from './content-checksum.ts';
import { SnapshotError } from './snapshot-error.ts';
import type {
  DatabaseSnapshot,
  SnapshotProgress,
  SnapshotRow,
  SnapshotSource,
  SnapshotTable,
} from './snapshot-reader.ts';
import { COPIED_TABLES } from './table-order.ts';

export const BACKUP_FORMAT = 'communique-backup';
export const BACKUP_VERSION = 1;
// A longer line is not something this program wrote.
const MAX_LINE_CHARACTERS = 256 * 1024 * 1024;

/** The first line of a backup file. */
export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: number;
  created_at: string;
  /** The engine the backup was read from (any engine restores it). */
  engine: string;
  migrations: string[];
  tables: { name: string; columns: string[]; rows: number; sha256: string }[];
  checksum: string;
}

export function headerChecksum(header: BackupHeader): ContentChecksum {
  return {
    tables: header.tables.map(({ name, rows, sha256 }) => ({ name, rows, sha256 })),
    sha256: header.checksum,
  };
}

function describeFileError(file: string, error: unknown): SnapshotError {
  if (error instanceof SnapshotError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (code.startsWith('Z_') || /gzip|zlib|header check|end of file/i.test(message))
    return new SnapshotError(
      `${file} is damaged or incomplete (${message}); it cannot be restored.`,
    );
  return new SnapshotError(`Cannot read ${file}: ${message}`);
}

/** The lines of a gzip'd file, decompressed as they are read. */
async function* readLines(file: string): AsyncGenerator<string> {
  const input = createReadStream(file);
  const gunzip = createGunzip();
  input.on('error', (error) => gunzip.destroy(error));
  input.pipe(gunzip);
  const decoder = new StringDecoder('utf8');
  let pending = '';
  try {
    for await (const chunk of gunzip) {
      pending += decoder.write(chunk as Buffer);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      yield* lines;
      if (pending.length > MAX_LINE_CHARACTERS)
        throw new SnapshotError(`${file} is not a Communiqué backup (a line is far too long).`);
    }
  } catch (error) {
    throw describeFileError(file, error);
  } finally {
    input.destroy();
    gunzip.destroy();
  }
  pending += decoder.end();
  if (pending !== '')
    throw new SnapshotError(`${file} is damaged or incomplete (its last line is cut off).`);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function parseHeader(file: string, line: string | undefined): BackupHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line ?? '');
  } catch {
    throw new SnapshotError(`${file} is not a Communiqué backup (its first line is not JSON).`);
  }
  const header = parsed as Partial<BackupHeader> | null;
  if (header === null || typeof header !== 'object' || header.format !== BACKUP_FORMAT)
    throw new SnapshotError(`${file} is not a Communiqué backup (no "${BACKUP_FORMAT}" header).`);
  if (typeof header.version !== 'number' || header.version > BACKUP_VERSION)
    throw new SnapshotError(
      `${file} was written by a newer Communiqué (backup format ${String(header.version)}, this one reads ${BACKUP_VERSION}); upgrade Communiqué first.`,
    );
  const tablesValid =
    Array.isArray(header.tables) &&
    header.tables.every(
      (table) =>
        typeof table?.name === 'string' &&
        isStringArray(table.columns) &&
        Number.isSafeInteger(table.rows) &&
        table.rows >= 0 &&
        typeof table.sha256 === 'string',
    );
  if (
    !tablesValid ||
    !isStringArray(header.migrations) ||
    typeof header.checksum !== 'string' ||
    typeof header.created_at !== 'string' ||
    typeof header.engine !== 'string'
  )
    throw new SnapshotError(`${file} has a damaged header; it cannot be restored.`);
  return header as BackupHeader;
}

/** Reads only the header line. */
export async function readBackupHeader(file: string): Promise<BackupHeader> {
  const lines = readLines(file);
  try {
    const first = await lines.next();
    return parseHeader(file, first.done ? undefined : first.value);
  } finally {
    await lines.return(undefined);
  }
}

/**
 * The file's tables as snapshot tables. A backup of an older schema holds fewer tables, but each
 * is one this Communiqué copies, in copy order; any other is refused.
 */
function backupTables(file: string, header: BackupHeader): SnapshotTable[] {
  const positions = new Map(COPIED_TABLES.map((entry, index) => [entry.name as string, index]));
  let previous = -1;
  return header.tables.map((table) => {
    const position = positions.get(table.name) ?? -1;
    const entry = COPIED_TABLES[position];
    if (entry === undefined)
      throw new SnapshotError(
        `${file} holds a table ${table.name}, which this Communiqué does not copy; it was made by another version.`,
      );
    if (position <= previous)
      throw new SnapshotError(`${file} has a damaged header: table ${table.name} is out of order.`);
    previous = position;
    return {
      entry,
      columns: table.columns.map((name) => ({ name, text: false })),
      rows: table.rows,
    };
  });
}

/**
 * A backup file as a snapshot source. Its rows are checked as they stream (table order, row
 * shape, counts); the checksum is compared by whoever consumes them.
 */
export function backupSource(file: string, header: BackupHeader): SnapshotSource {
  const tables = backupTables(file, header);
  return {
    description: file,
    migrations: header.migrations,
    tables,
    async *read() {
      const lines = readLines(file);
      try {
        await lines.next();
        let lineNumber = 1;
        const nextLine = async (what: string): Promise<string> => {
          const next = await lines.next();
          lineNumber += 1;
          if (next.done)
            throw new SnapshotError(
              `${file} is damaged or incomplete (it ends before ${what}); it cannot be restored.`,
            );
          return next.value;
        };
        const parse = (line: string): unknown => {
          try {
            return JSON.parse(line);
          } catch {
            throw new SnapshotError(`${file} is damaged: line ${lineNumber} is not JSON.`);
          }
        };
        for (const table of tables) {
          const start = parse(await nextLine(`table ${table.entry.name}`)) as {
            table?: unknown;
          } | null;
          if (start === null || typeof start !== 'object' || start.table !== table.entry.name)
            throw new SnapshotError(
              `${file} is damaged: line ${lineNumber} should start table ${table.entry.name}.`,
            );
          const width = table.columns.length;
          async function* batches(): AsyncGenerator<SnapshotRow[]> {
            let batch: SnapshotRow[] = [];
            for (let index = 0; index < table.rows; index++) {
              const row = parse(await nextLine(`the end of table ${table.entry.name}`));
              if (!Array.isArray(row) || row.length !== width)
                throw new SnapshotError(
                  `${file} is damaged: line ${lineNumber} is not a row of ${table.entry.name}.`,
                );
              batch.push(row);
              if (batch.length === 1000) {
                yield batch;
                batch = [];
              }
            }
            if (batch.length > 0) yield batch;
          }
          yield { table, batches: batches() };
        }
        const extra = await lines.next();
        if (!extra.done)
          throw new SnapshotError(
            `${file} is damaged: it has more rows than its header counts (line ${lineNumber + 1}).`,
          );
      } finally {
        await lines.return(undefined);
      }
    },
  };
}

/** Reads the whole file and checks its counts and checksum against its header; writes nothing. */
export async function verifyBackupFile(
  file: string,
  onProgress?: SnapshotProgress,
): Promise<BackupHeader> {
  const header = await readBackupHeader(file);
  const source = backupSource(file, header);
  const checksums: TableChecksum[] = [];
  for await (const { table, batches } of source.read()) {
    const hasher = new TableHasher(
      table.entry.name,
      table.columns.map((column) => column.name),
      table.entry.timestamps,
    );
    for await (const batch of batches) {
      for (const row of batch) hasher.add(row);
      onProgress?.('check', table.entry.name, hasher.rows, table.rows);
    }
    checksums.push(hasher.finish());
  }
  const difference = describeDifference(headerChecksum(header), combineChecksums(checksums));
  if (difference !== null)
    throw new SnapshotError(
      `${file} does not match its own checksum (${difference}); it was changed or damaged after it was written.`,
    );
  return header;
}

function toJsonLine(value: unknown): string {
  return `${JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'bigint' ? Number(item) : item,
  )}\n`;
}

async function writeChunk(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/**
 * Writes a snapshot as a gzip'd NDJSON file: a header line (format, schema, counts, checksum),
 * then each table's name and its rows. Written beside FILE under a temporary name, read back
 * and checked, and only then renamed, so FILE is never a half-written backup.
 */
export async function writeBackupFile(
  snapshot: DatabaseSnapshot,
  file: string,
  createdAt: Date,
  onProgress?: SnapshotProgress,
): Promise<BackupHeader> {
  const stem = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}`);
  const rowsFile = `${stem}.rows.partial`;
  const partialFile = `${stem}.partial`;
  try {
    // Rows first: the header, which comes first in the file, needs their counts and checksum.
    const gzip = createGzip();
    // The backup holds password hashes and sealed secrets: only its owner may read it.
    const output = createWriteStream(rowsFile, { mode: 0o600 });
    gzip.pipe(output);
    const finished = new Promise<void>((resolve, reject) => {
      output.on('finish', resolve);
      output.on('error', reject);
      gzip.on('error', reject);
    });
    const checksums: TableChecksum[] = [];
    const tables = snapshot.tables.map((table) => ({
      name: table.entry.name,
      columns: table.columns.map((column) => column.name),
    }));
    for await (const { table, batches } of snapshot.read()) {
      const hasher = new TableHasher(
        table.entry.name,
        table.columns.map((column) => column.name),
        table.entry.timestamps,
      );
      await writeChunk(gzip, toJsonLine({ table: table.entry.name }));
      for await (const batch of batches) {
        let text = '';
        for (const row of batch) {
          hasher.add(row);
          text += toJsonLine(row);
        }
        await writeChunk(gzip, text);
        onProgress?.('read', table.entry.name, hasher.rows, table.rows);
      }
      onProgress?.('read', table.entry.name, hasher.rows, table.rows);
      if (hasher.rows !== table.rows)
        throw new SnapshotError(
          `${table.entry.name} gave ${hasher.rows} rows instead of the ${table.rows} it counted; no backup was written.`,
        );
      checksums.push(hasher.finish());
    }
    gzip.end();
    await finished;
    const checksum = combineChecksums(checksums);
    const header: BackupHeader = {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      created_at: createdAt.toISOString(),
      engine: snapshot.engine,
      migrations: snapshot.migrations,
      tables: tables.map((table, index) => ({
        ...table,
        rows: checksums[index]?.rows ?? 0,
        sha256: checksums[index]?.sha256 ?? '',
      })),
      checksum: checksum.sha256,
    };
    // A gzip file may hold several members; readers see one stream: the header, then the rows.
    const handle = await open(partialFile, 'w', 0o600);
    try {
      await handle.write(gzipSync(toJsonLine(header)));
      for await (const chunk of createReadStream(rowsFile)) await handle.write(chunk as Buffer);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rm(rowsFile, { force: true });
    await verifyBackupFile(partialFile, onProgress);
    await rename(partialFile, file);
    return header;
  } finally {
    await rm(rowsFile, { force: true });
    await rm(partialFile, { force: true });
  }
}
