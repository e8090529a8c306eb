import { constants, existsSync, statSync } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/connect.ts';
import {
  assessSchemaLevel,
  backupDatabase,
  readBackupHeader,
  restoreBackup,
  verifyBackupFile,
} from '../db/snapshot/index.ts';
import { withStartupLock } from '../db/startup-lock.ts';
import { CliError } from './cli-error.ts';
import {
  describeChecksum,
  describeSchemaChanges,
  explainFailures,
  requireExistingSource,
  sayKeyMaterialNote,
  seconds,
  snapshotProgress,
  totalRows,
} from './copy-command.ts';

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `communique backup FILE`: a consistent snapshot of the configured database, while it serves. */
export async function backupCommand(file: string, options: { force?: boolean }): Promise<void> {
  const target = path.resolve(file);
  if (existsSync(target)) {
    if (statSync(target).isDirectory())
      throw new CliError(`${target} is a folder; give the backup a file name.`, 2);
    if (!options.force)
      throw new CliError(`${target} already exists; pass --force to replace it.`, 2);
  }
  try {
    await access(path.dirname(target), constants.W_OK);
  } catch (error) {
    throw new CliError(`Cannot write ${target}: ${reason(error)}`);
  }
  const config = loadConfig();
  requireExistingSource(config.database, 'DATABASE_URL');
  const handle = await openDatabase(config.database);
  try {
    const started = performance.now();
    const report = await explainFailures(() => backupDatabase(handle, target, snapshotProgress()));
    const checksum = {
      tables: report.header.tables.map(({ name, rows, sha256 }) => ({ name, rows, sha256 })),
      sha256: report.header.checksum,
    };
    say(
      `Backed up ${totalRows(checksum).toLocaleString('en')} rows in ${checksum.tables.length} tables from ${handle.description} to ${target} in ${seconds(started)}; the file was read back and verified.`,
    );
    say(
      `Snapshot taken at ${report.header.created_at}, schema ${report.header.migrations.at(-1) ?? 'none'}.`,
    );
    for (const line of describeChecksum(checksum)) say(line);
    for (const table of report.unknownTables)
      say(`Not backed up: table ${table}, which this Communiqué does not know.`);
    say('Uploaded media files are not in the backup: copy MEDIA_DIR separately.');
  } finally {
    await handle.close();
  }
}

/** `communique restore FILE`: a backup into the configured database, all or nothing. */
export async function restoreCommand(file: string, options: { force?: boolean }): Promise<void> {
  const source = path.resolve(file);
  try {
    await access(source, constants.R_OK);
  } catch (error) {
    throw new CliError(`Cannot read ${source}: ${reason(error)}`);
  }
  if (statSync(source).isDirectory())
    throw new CliError(`${source} is a folder, not a backup file.`, 2);
  const started = performance.now();
  const progress = snapshotProgress();
  // A newer schema, then a damaged or tampered file, is refused before the database is even opened.
  const header = await explainFailures(() => readBackupHeader(source));
  await explainFailures(async () =>
    assessSchemaLevel(source, header.migrations, 'upgrade Communiqué first.'),
  );
  await explainFailures(() => verifyBackupFile(source, progress));
  // Not migrated here: the restore migrates it in its own transaction, first to the backup's schema.
  const database = loadConfig().database;
  const handle = await openDatabase(database);
  try {
    // Under the start-up lock: a server starting meanwhile would migrate and seed the same database.
    const report = await withStartupLock(handle, database, () =>
      explainFailures(() =>
        restoreBackup(handle, source, {
          force: options.force === true,
          onProgress: progress,
        }),
      ),
    );
    say(
      `Restored ${totalRows(report.checksum).toLocaleString('en')} rows in ${report.checksum.tables.length} tables from ${source} (taken ${report.header.created_at} on ${report.header.engine}) into ${handle.description} in ${seconds(started)}; counts and checksum verified.`,
    );
    for (const line of describeSchemaChanges(report, 'backup')) say(line);
    if (report.replacedRows > 0)
      say(
        `Replaced the ${report.replacedRows.toLocaleString('en')} rows the database held before.`,
      );
    for (const line of describeChecksum(report.checksum)) say(line);
    await sayKeyMaterialNote(handle);
    say('Uploaded media files are not in the backup: restore MEDIA_DIR separately.');
  } finally {
    await handle.close();
  }
}
