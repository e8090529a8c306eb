import { knownMigrations } from '../migrate.ts';
import { SnapshotError } from './snapshot-error.ts';

/** Where a schema stands among this Communiqué's migrations. */
export interface SchemaLevel {
  /** The applied migrations, oldest first. */
  migrations: string[];
  /** The last applied migration, or "no schema". */
  level: string;
  /** The last migration this Communiqué knows. */
  latest: string;
  atLatest: boolean;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, index) => name === b[index]);
}

export function sameLevel(a: SchemaLevel, b: SchemaLevel): boolean {
  return sameList(a.migrations, b.migrations);
}

/**
 * The level of a database or backup whose migrations are `migrations`. Refuses one this
 * Communiqué cannot bring up to date: a migration it does not know (a newer schema), or
 * migrations that are not its own in their order. `whenNewer` says what to do about a newer one.
 */
export function assessSchemaLevel(
  description: string,
  migrations: readonly string[],
  whenNewer: string,
): SchemaLevel {
  const known = knownMigrations();
  const latest = known.at(-1) ?? 'no schema';
  const level = migrations.at(-1) ?? 'no schema';
  const newer = migrations.filter((name) => !known.includes(name));
  if (newer.length > 0)
    throw new SnapshotError(
      `${description} has a newer schema (${level}) than this Communiqué knows (its latest is ${latest}; unknown: ${newer.join(', ')}); ${whenNewer} Nothing was written.`,
    );
  if (!sameList(migrations, known.slice(0, migrations.length)))
    throw new SnapshotError(
      `${description} has migrations this Communiqué would not have applied in that order (${migrations.join(', ')}). Nothing was written.`,
    );
  return {
    migrations: [...migrations],
    level,
    latest,
    atLatest: migrations.length === known.length,
  };
}
