import { existsSync } from 'node:fs';
import { ConfigError, type DatabaseConfig, parseDatabaseUrl } from '../config.ts';
import { type DatabaseHandle, openDatabase } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';
import {
  type ContentChecksum,
  copyDatabase,
  countSealedSecrets,
  SnapshotError,
  type SnapshotProgress,
  type WriteReport,
} from '../db/snapshot/index.ts';
import { withStartupLock } from '../db/startup-lock.ts';
import { CliError } from './cli-error.ts';

export interface CopyOptions {
  from: string;
  to: string;
  force?: boolean;
  migrateSource?: boolean;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

const PHASE_LABELS: Record<string, string> = {
  write: 'Copying',
  read: 'Reading',
  check: 'Checking the file',
  index: 'Rebuilding the search index',
  migrate: "Bringing the target's schema to the source's",
  upgrade: 'Migrating the target to the latest schema',
  verify: 'Verifying what was written',
};

/** Progress on stderr: a line per table as it is done, and a running count on a terminal. */
export function snapshotProgress(): SnapshotProgress {
  let phase = '';
  let finishedTable = '';
  let started = performance.now();
  const began = performance.now();
  return (nextPhase, table, done, total) => {
    if (nextPhase !== phase) {
      phase = nextPhase;
      finishedTable = '';
      process.stderr.write(`${PHASE_LABELS[phase] ?? phase}… (at ${seconds(began)})\n`);
    }
    const main = phase === 'write' || phase === 'read';
    if (done === 0) started = performance.now();
    if (done >= total) {
      if (!main || finishedTable === table) return;
      finishedTable = table;
      process.stderr.write(
        `${process.stderr.isTTY ? '\r\u001b[K' : ''}  ${table}: ${done.toLocaleString('en')} ${done === 1 ? 'row' : 'rows'} (${seconds(started)})\n`,
      );
      started = performance.now();
    } else if (process.stderr.isTTY) {
      process.stderr.write(
        `\r\u001b[K  ${table}: ${done.toLocaleString('en')}/${total.toLocaleString('en')} rows`,
      );
    }
  };
}

/** The per-table counts and the checksum, for the summary on stdout. */
export function describeChecksum(checksum: ContentChecksum): string[] {
  const width = Math.max(...checksum.tables.map((table) => table.name.length));
  return [
    ...checksum.tables.map(
      (table) => `  ${table.name.padEnd(width)}  ${table.rows.toLocaleString('en').padStart(9)}`,
    ),
    `Checksum (SHA-256 of every copied row): ${checksum.sha256}`,
  ];
}

/** How the target's schema moved: to the source's level for the rows, then to the latest. */
export function describeSchemaChanges(report: WriteReport, source: string): string[] {
  const lines: string[] = [];
  if (report.preparedWith.length > 0)
    lines.push(
      `Schema ${report.preparedDown ? 'taken back' : 'brought'} to the ${source}'s level, ${report.sourceLevel}, to take its rows: ${report.preparedWith.join(', ')}`,
    );
  if (report.upgradedWith.length > 0)
    lines.push(`Then migrated to the latest schema: ${report.upgradedWith.join(', ')}`);
  return lines;
}

export function totalRows(checksum: ContentChecksum): number {
  return checksum.tables.reduce((sum, table) => sum + table.rows, 0);
}

export function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Two-factor seeds and webhook secrets open only with the key material they were sealed with. */
export async function sayKeyMaterialNote(target: DatabaseHandle): Promise<void> {
  const sealed = await countSealedSecrets(target);
  if (sealed.twoFactorAccounts === 0 && sealed.webhooks === 0) return;
  say(
    `${plural(sealed.twoFactorAccounts, 'account')} with two-factor sign-in and ${plural(sealed.webhooks, 'webhook')} hold secrets sealed with the server key: run the target with the same COMMUNIQUE_SECRET (or, on SQLite, the same <database>.key file beside it).`,
  );
}

/** A database URL given on the command line, checked like DATABASE_URL. */
export function parseUrlOption(raw: string, option: string): DatabaseConfig {
  try {
    return parseDatabaseUrl(raw, option);
  } catch (error) {
    if (error instanceof ConfigError)
      throw new CliError(error.message.replace(/^Configuration error: /, ''), 2);
    throw error;
  }
}

/** Opening a missing SQLite file would create an empty one: a source must already exist. */
export function requireExistingSource(config: DatabaseConfig, where: string): void {
  if (config.engine === 'sqlite' && config.file !== ':memory:' && !existsSync(config.file))
    throw new CliError(`There is no SQLite database at ${config.file} (${where}).`);
}

function sameDatabase(a: DatabaseConfig, b: DatabaseConfig): boolean {
  if (a.engine === 'sqlite' && b.engine === 'sqlite') return a.file === b.file;
  if (a.engine === 'postgres' && b.engine === 'postgres') {
    const [x, y] = [new URL(a.url), new URL(b.url)];
    return (
      x.hostname === y.hostname &&
      (x.port || '5432') === (y.port || '5432') &&
      x.pathname === y.pathname
    );
  }
  return false;
}

/** Snapshot failures are expected failures: one line, no stack trace. */
export async function explainFailures<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof SnapshotError) throw new CliError(error.message);
    throw error;
  }
}

/** `communique copy --from URL --to URL`: the whole site from one database into another. */
export async function copyCommand(options: CopyOptions): Promise<void> {
  const from = parseUrlOption(options.from, '--from');
  const to = parseUrlOption(options.to, '--to');
  if (sameDatabase(from, to))
    throw new CliError('--from and --to name the same database; copy needs two.', 2);
  requireExistingSource(from, '--from');
  const handles: DatabaseHandle[] = [];
  try {
    const source = await openDatabase(from);
    handles.push(source);
    const target = await openDatabase(to);
    handles.push(target);
    if (options.migrateSource) {
      const applied = await migrateToLatest(source);
      if (applied.length > 0) say(`Source schema updated: ${applied.join(', ')}`);
    }
    // The target is migrated inside the copy's transaction: to the source's schema, then the latest.
    const started = performance.now();
    // Under the target's start-up lock: a server starting meanwhile would migrate and seed it.
    const report = await withStartupLock(target, to, () =>
      explainFailures(() =>
        copyDatabase(source, target, {
          force: options.force === true,
          onProgress: snapshotProgress(),
        }),
      ),
    );
    say(
      `Copied ${totalRows(report.checksum).toLocaleString('en')} rows in ${report.checksum.tables.length} tables from ${source.description} to ${target.description} in ${seconds(started)}; counts and checksum verified on the target.`,
    );
    for (const line of describeSchemaChanges(report, 'source')) say(line);
    if (report.replacedRows > 0)
      say(`Replaced the ${report.replacedRows.toLocaleString('en')} rows the target held before.`);
    for (const line of describeChecksum(report.checksum)) say(line);
    for (const table of report.unknownTables)
      say(`Not copied: table ${table}, which this Communiqué does not know.`);
    await sayKeyMaterialNote(target);
    say('Uploaded media files are not in the database: copy MEDIA_DIR separately.');
  } finally {
    for (const handle of handles.reverse()) await handle.close();
  }
}
