export { type BackupHeader, readBackupHeader, verifyBackupFile } from './backup-file.ts';
export type { ContentChecksum, TableChecksum } from './content-checksum.ts';
export { assessSchemaLevel, type SchemaLevel } from './schema-level.ts';
export { SnapshotError } from './snapshot-error.ts';
export {
  type BackupReport,
  backupDatabase,
  type CopyReport,
  copyDatabase,
  countSealedSecrets,
  restoreBackup,
} from './snapshot-operations.ts';
export type { SnapshotProgress } from './snapshot-reader.ts';
export type { WriteReport } from './snapshot-writer.ts';
export { COPIED_TABLES, EPHEMERAL_TABLES, isDerivedTable, isKnownTable } from './table-order.ts';
