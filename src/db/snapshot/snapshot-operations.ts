import type { DatabaseHandle } from '../connect.ts';
import {
  type BackupHeader,
  backupSource,
  headerChecksum,
  readBackupHeader,
  writeBackupFile,
} from './backup-file.ts';
import { assessSchemaLevel } from './schema-level.ts';
import { type SnapshotProgress, withDatabaseSnapshot } from './snapshot-reader.ts';
import { type WriteReport, writeSnapshot } from './snapshot-writer.ts';

export interface CopyReport extends WriteReport {
  /** Tables in the source that this Communiqué does not know, and so did not copy. */
  unknownTables: string[];
}

/**
 * Copies every copied table from a snapshot of `source` into `target`, all or nothing; the target
 * takes the rows at the source's schema and is then migrated to the latest.
 */
export async function copyDatabase(
  source: DatabaseHandle,
  target: DatabaseHandle,
  options: { force: boolean; onProgress?: SnapshotProgress },
): Promise<CopyReport> {
  return withDatabaseSnapshot(source, async (snapshot) => {
    const report = await writeSnapshot(target, snapshot, {
      force: options.force,
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    });
    return { ...report, unknownTables: snapshot.unknownTables };
  });
}

export interface BackupReport {
  header: BackupHeader;
  unknownTables: string[];
}

/** Writes a consistent snapshot of the database to `file` while it keeps serving and writing. */
export async function backupDatabase(
  source: DatabaseHandle,
  file: string,
  onProgress?: SnapshotProgress,
): Promise<BackupReport> {
  return withDatabaseSnapshot(source, async (snapshot) => ({
    header: await writeBackupFile(snapshot, file, new Date(), onProgress),
    unknownTables: snapshot.unknownTables,
  }));
}

/**
 * Restores a backup file into `target`, all or nothing: the target takes the rows at the backup's
 * schema and is then migrated to the latest; the rows must add up to the header's counts and
 * checksum before the transaction commits. (`verifyBackupFile` checks a file without a database.)
 */
export async function restoreBackup(
  target: DatabaseHandle,
  file: string,
  options: { force: boolean; onProgress?: SnapshotProgress },
): Promise<WriteReport & { header: BackupHeader }> {
  const header = await readBackupHeader(file);
  // The schema is checked before the file is read through, so a newer one fails at once.
  assessSchemaLevel(file, header.migrations, 'upgrade Communiqué first.');
  const report = await writeSnapshot(target, backupSource(file, header), {
    force: options.force,
    expected: headerChecksum(header),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  return { ...report, header };
}

/** Rows holding values sealed with the server key, which only the same key material opens. */
export async function countSealedSecrets(
  handle: DatabaseHandle,
): Promise<{ twoFactorAccounts: number; webhooks: number }> {
  const accounts = await handle.db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('totp_secret', 'is not', null)
    .executeTakeFirstOrThrow();
  const webhooks = await handle.db
    .selectFrom('webhooks')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return { twoFactorAccounts: Number(accounts.count), webhooks: Number(webhooks.count) };
}
