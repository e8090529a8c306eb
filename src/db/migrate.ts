import { type Migration, type MigrationResultSet, Migrator } from 'kysely/migration';
import type { DatabaseHandle } from './connect.ts';
import { type DialectHelpers, dialectHelpers } from './dialect.ts';
import { initialSchema } from './migrations/0001-initial-schema.ts';
import { accountsAndAudit } from './migrations/0002-accounts-and-audit.ts';
import { statementWorkflow } from './migrations/0003-statement-workflow.ts';
import { media } from './migrations/0004-media.ts';
import { search } from './migrations/0005-search.ts';
import { translationSource } from './migrations/0006-translation-source.ts';
import { searchSpeed } from './migrations/0007-search-speed.ts';
import { webhooks } from './migrations/0008-webhooks.ts';
import { accessTokens } from './migrations/0009-access-tokens.ts';
import { rateLimits } from './migrations/0010-rate-limits.ts';
import { sitemapIndexes } from './migrations/0011-sitemap-indexes.ts';
import { listingIndexes } from './migrations/0012-listing-indexes.ts';
import { publishedCounts } from './migrations/0013-published-counts.ts';
import { searchRebuild } from './migrations/0014-search-rebuild.ts';

/** Every migration, in order; names never change once released. */
function allMigrations(helpers: DialectHelpers): Record<string, Migration> {
  return {
    '0001-initial-schema': initialSchema(helpers),
    '0002-accounts-and-audit': accountsAndAudit(helpers),
    '0003-statement-workflow': statementWorkflow(helpers),
    '0004-media': media(helpers),
    '0005-search': search(helpers),
    '0006-translation-source': translationSource(),
    '0007-search-speed': searchSpeed(helpers),
    '0008-webhooks': webhooks(helpers),
    '0009-access-tokens': accessTokens(helpers),
    '0010-rate-limits': rateLimits(),
    '0011-sitemap-indexes': sitemapIndexes(),
    '0012-listing-indexes': listingIndexes(),
    '0013-published-counts': publishedCounts(helpers),
    '0014-search-rebuild': searchRebuild(helpers),
  };
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

/** Where migrations run: a database, or one of its connections inside an open transaction. */
export type MigrationTarget = Pick<DatabaseHandle, 'db' | 'helpers' | 'description'>;

/** The name of every migration this Communiqué knows, oldest first. */
export function knownMigrations(): string[] {
  // Names do not depend on the engine; SQLite's helpers are only needed to build the list.
  return Object.keys(allMigrations(dialectHelpers('sqlite')));
}

async function runMigrator(
  target: MigrationTarget,
  insideTransaction: boolean,
  run: (migrator: Migrator) => Promise<MigrationResultSet>,
): Promise<string[]> {
  const migrator = new Migrator({
    db: target.db,
    provider: { getMigrations: async () => allMigrations(target.helpers) },
    migrationTableName: 'communique_migrations',
    migrationLockTableName: 'communique_migration_lock',
    // The caller's transaction holds every change, so its commit or rollback decides.
    disableTransactions: insideTransaction,
  });
  const { error, results }: MigrationResultSet = await run(migrator);
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`Migration ${failed} failed on ${target.description}: ${reason}`);
  }
  return (results ?? [])
    .filter((result) => result.status === 'Success')
    .map((result) => result.migrationName);
}

/** Brings the schema up to date; returns the names of the migrations it applied. */
export async function migrateToLatest(handle: DatabaseHandle): Promise<string[]> {
  return runMigrator(handle, false, (migrator) => migrator.migrateToLatest());
}

/**
 * Migrates up or down until `level` is the last migration applied; returns the names of the
 * migrations run. With `insideTransaction`, `target.db` is a connection in an open transaction.
 */
export async function migrateTo(
  target: MigrationTarget,
  level: string,
  options: { insideTransaction?: boolean } = {},
): Promise<string[]> {
  if (!knownMigrations().includes(level))
    throw new MigrationError(`There is no migration ${level} in this Communiqué.`);
  return runMigrator(target, options.insideTransaction === true, (migrator) =>
    migrator.migrateTo(level),
  );
}
