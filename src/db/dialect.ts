import type { ColumnDefinitionBuilder, CreateTableBuilder } from 'kysely';

export type Engine = 'sqlite' | 'postgres';

/** Every difference between the two engines that the schema needs, in one place. */
export interface DialectHelpers {
  engine: Engine;
  /** Adds an auto-incrementing integer primary key named `id`. */
  addIdColumn<T extends string, C extends string>(
    table: CreateTableBuilder<T, C>,
  ): CreateTableBuilder<T, C | 'id'>;
  /** The column type for instants: ISO text on SQLite, timestamptz on PostgreSQL. */
  timestampType: 'text' | 'timestamptz';
  /** Long text: text on both, named here so the choice is visible. */
  textType: 'text';
}

export function dialectHelpers(engine: Engine): DialectHelpers {
  return {
    engine,
    addIdColumn(table) {
      return engine === 'sqlite'
        ? table.addColumn('id', 'integer', (column: ColumnDefinitionBuilder) =>
            column.primaryKey().autoIncrement(),
          )
        : table.addColumn('id', 'integer', (column: ColumnDefinitionBuilder) =>
            column.primaryKey().generatedByDefaultAsIdentity(),
          );
    },
    timestampType: engine === 'sqlite' ? 'text' : 'timestamptz',
    textType: 'text',
  };
}
