import type { Database } from '../database.ts';

export type TableName = keyof Database & string;

type ColumnOf<T extends TableName> = keyof Database[T] & string;

/** Columns that may hold a Date: their values are compared as ISO instants across engines. */
type TimestampColumn<T extends TableName> = {
  [K in ColumnOf<T>]-?: Date extends Database[T][K] ? K : never;
}[ColumnOf<T>];

/** A table whose rows move with the site: copied, backed up and restored. */
export interface CopiedTable<T extends TableName> {
  kind: 'copied';
  /** Rows are read, and the checksum is taken, in this order. */
  primaryKey: readonly [ColumnOf<T>, ...ColumnOf<T>[]];
  /** Every timestamp column, exactly (the type refuses a missing or extra one). */
  timestamps: { readonly [K in TimestampColumn<T>]: true };
  /** Self-references, filled in after all of the table's rows are in: a row may point to a later one. */
  selfReferences?: readonly ColumnOf<T>[];
}

/** A table that belongs to the running server, not to the site: never copied; emptied by --force. */
export interface EphemeralTable {
  kind: 'ephemeral';
  why: string;
}

type TableRoles = { readonly [T in TableName]: CopiedTable<T> | EphemeralTable };

/**
 * Every table of `Database`, in foreign-key order: a table comes after every table it references.
 * A table added to `Database` and not listed here fails the type check.
 */
const TABLE_ROLES: TableRoles = {
  settings: { kind: 'copied', primaryKey: ['key'], timestamps: {} },
  organisations: {
    kind: 'copied',
    primaryKey: ['id'],
    timestamps: { created_at: true, updated_at: true },
  },
  users: {
    kind: 'copied',
    primaryKey: ['id'],
    timestamps: { disabled_at: true, created_at: true, updated_at: true },
  },
  user_organisations: {
    kind: 'copied',
    primaryKey: ['user_id', 'organisation_id'],
    timestamps: {},
  },
  statements: {
    kind: 'copied',
    primaryKey: ['id'],
    timestamps: { published_at: true, created_at: true, updated_at: true },
    selfReferences: ['translation_of_id'],
  },
  statement_signatories: {
    kind: 'copied',
    primaryKey: ['statement_id', 'organisation_id'],
    timestamps: {},
  },
  statement_revisions: {
    kind: 'copied',
    primaryKey: ['id'],
    timestamps: { published_at: true, created_at: true },
  },
  slug_redirects: { kind: 'copied', primaryKey: ['old_slug'], timestamps: { created_at: true } },
  pages: { kind: 'copied', primaryKey: ['id'], timestamps: { created_at: true, updated_at: true } },
  media: { kind: 'copied', primaryKey: ['id'], timestamps: { created_at: true } },
  audit_log: { kind: 'copied', primaryKey: ['id'], timestamps: { at: true } },
  access_tokens: {
    kind: 'copied',
    primaryKey: ['id'],
    timestamps: { created_at: true, expires_at: true, last_used_at: true, revoked_at: true },
  },
  webhooks: {
    kind: 'copied',
    primaryKey: ['id'],
    timestamps: { created_at: true, updated_at: true },
  },
  webhook_events: { kind: 'copied', primaryKey: ['id'], timestamps: { occurred_at: true } },
  webhook_deliveries: {
    kind: 'copied',
    primaryKey: ['id'],
    timestamps: {
      next_attempt_at: true,
      lease_until: true,
      last_attempt_at: true,
      completed_at: true,
      created_at: true,
    },
  },
  sessions: {
    kind: 'ephemeral',
    why: 'sign-ins stay with the site they were made on; copying them would carry live session tokens',
  },
  login_throttle: {
    kind: 'ephemeral',
    why: 'recent failed sign-ins, meaningful only where they happened',
  },
  rate_limit_windows: { kind: 'ephemeral', why: 'request counters of the last minute' },
};

/** A copied table with its name, for code that walks the list. */
export interface CopiedTableEntry {
  name: TableName;
  primaryKey: readonly string[];
  timestamps: ReadonlySet<string>;
  selfReferences: readonly string[];
}

// The same roles, seen without the per-table column types.
type LooseRole =
  | {
      kind: 'copied';
      primaryKey: readonly string[];
      timestamps: object;
      selfReferences?: readonly string[];
    }
  | EphemeralTable;

export const COPIED_TABLES: readonly CopiedTableEntry[] = Object.entries(TABLE_ROLES).flatMap(
  ([name, role]: [string, LooseRole]) =>
    role.kind === 'copied'
      ? [
          {
            name: name as TableName,
            primaryKey: role.primaryKey,
            timestamps: new Set(Object.keys(role.timestamps)),
            selfReferences: role.selfReferences ?? [],
          },
        ]
      : [],
);

export const EPHEMERAL_TABLES: readonly TableName[] = Object.entries(TABLE_ROLES)
  .filter(([, role]) => role.kind === 'ephemeral')
  .map(([name]) => name as TableName);

/**
 * Tables that triggers keep from the copied ones (the search index, the published counts of
 * migration 0013): never copied, filled as rows go in. A PostgreSQL truncate fires no row
 * trigger, so emptying a site there must truncate these too.
 */
export const TRIGGER_KEPT_TABLES: readonly string[] = [
  'statement_search',
  'published_counts',
  'counted_statements',
  'counted_signatures',
  'counted_translations',
];

/** Tables the schema keeps for itself: the migration bookkeeping and the trigger-kept tables. */
export function isDerivedTable(name: string): boolean {
  return (
    name.startsWith('communique_migration') ||
    TRIGGER_KEPT_TABLES.includes(name) ||
    name.startsWith('statement_search_') ||
    name.startsWith('sqlite_')
  );
}

export function isKnownTable(name: string): boolean {
  return Object.hasOwn(TABLE_ROLES, name);
}
