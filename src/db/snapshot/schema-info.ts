import { sql } from 'kysely';
import type { Queryable } from '../database.ts';
import type { Engine } from '../dialect.ts';

export const MIGRATION_TABLE = 'communique_migrations';

/** A column as the copy needs it: its name, and whether its keys sort as text. */
export interface ColumnInfo {
  name: string;
  text: boolean;
}

/** Every base table of the database (the current schema on PostgreSQL). */
export async function listTables(db: Queryable, engine: Engine): Promise<string[]> {
  const result =
    engine === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table'
          order by name`.execute(db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE'
          order by table_name`.execute(db);
  return result.rows.map((row) => row.name);
}

/** The names of the applied migrations, in order; empty when the schema was never created. */
export async function readAppliedMigrations(db: Queryable, engine: Engine): Promise<string[]> {
  // Looked up first: a failed query would abort a PostgreSQL transaction.
  if (!(await listTables(db, engine)).includes(MIGRATION_TABLE)) return [];
  const result = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)}
    order by name`.execute(db);
  return result.rows.map((row) => row.name);
}

/** A table's columns in their declared order. */
export async function readColumns(
  db: Queryable,
  engine: Engine,
  table: string,
): Promise<ColumnInfo[]> {
  if (engine === 'sqlite') {
    const result = await sql<{ name: string; type: string }>`select name, type
      from pragma_table_info(${table}) order by cid`.execute(db);
    return result.rows.map((row) => ({ name: row.name, text: !/INT/i.test(row.type) }));
  }
  const result = await sql<{ name: string; type: string }>`select column_name as name,
      data_type as type from information_schema.columns
    where table_schema = current_schema() and table_name = ${table}
    order by ordinal_position`.execute(db);
  return result.rows.map((row) => ({
    name: row.name,
    text: row.type === 'text' || row.type.startsWith('character'),
  }));
}
