import { AsyncLocalStorage } from 'node:async_hooks';
import {
  CompiledQuery,
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryId,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import type { Database } from '../src/db/database.ts';
import type { Engine } from '../src/db/dialect.ts';

/** Tables with a row (or several) per statement: reading all of one reads every statement. */
const PER_STATEMENT_TABLES = ['statements', 'statement_signatories'];

// Below this many statements PostgreSQL rightly reads a per-statement table's few pages in sequence.
export const SMALL_SITE_STATEMENTS = 5000;

/**
 * Records the SQL that runs inside `capture()`, and only there: the async context keeps apart
 * the queries of one render from those of pollers and timers running meanwhile.
 */
export class QueryCapture implements KyselyPlugin {
  readonly #current = new AsyncLocalStorage<{
    compiled: Map<QueryId, CompiledQuery>;
    executed: CompiledQuery[];
  }>();
  readonly #compile: (node: RootOperationNode, args: PluginTransformQueryArgs) => CompiledQuery;

  constructor(db: Kysely<Database>) {
    const executor = db.getExecutor();
    this.#compile = (node, args) => executor.compileQuery(node, args.queryId);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.#current.getStore()?.compiled.set(args.queryId, this.#compile(args.node, args));
    return args.node;
  }

  // Subqueries pass through transformQuery too, as they are built; only executed queries have results.
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const store = this.#current.getStore();
    const compiled = store?.compiled.get(args.queryId);
    if (compiled !== undefined) store?.executed.push(compiled);
    return args.result;
  }

  async capture<T>(run: () => Promise<T>): Promise<{ value: T; queries: CompiledQuery[] }> {
    const store = { compiled: new Map<QueryId, CompiledQuery>(), executed: [] };
    const value = await this.#current.run(store, run);
    return { value, queries: store.executed };
  }
}

export interface QueryPlan {
  sql: string;
  parameters: readonly unknown[];
  plan: string[];
  /** A table scan of statements or signatures (no index): wrong however often it runs. */
  tableScan: string | null;
  /** Why the query reads (nearly) every statement through an index, or null when it does not. */
  readsAll: string | null;
  /** PostgreSQL's own figure (EXPLAIN ANALYZE), in ms. */
  executionMs: number | null;
}

/** Names a per-statement table goes by in `sql`: the table and any alias it is given. */
function perStatementNames(sqlText: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const table of PER_STATEMENT_TABLES) {
    const pattern = new RegExp(`"${table}"(?: as "(\\w+)")?`, 'g');
    for (const match of sqlText.matchAll(pattern)) {
      names.set(table, table);
      if (match[1] !== undefined) names.set(match[1], table);
    }
  }
  return names;
}

function sqliteVerdict(
  plan: string[],
  names: Map<string, string>,
  sqlText: string,
): Pick<QueryPlan, 'tableScan' | 'readsAll'> {
  // Without a LIMIT, nothing stops a walk over the index early.
  const limited = /\blimit\b/i.test(sqlText);
  for (const line of plan) {
    const text = line.trim();
    const scanned = /^SCAN (\w+)$/.exec(text)?.[1];
    if (scanned !== undefined && names.has(scanned))
      return { tableScan: `full table scan of ${names.get(scanned)}: ${text}`, readsAll: null };
    const walked =
      /^SCAN (\w+) USING (?:COVERING )?INDEX/.exec(text)?.[1] ??
      /^SEARCH (\w+) USING (?:COVERING )?INDEX \w+ \(status=\?\)$/.exec(text)?.[1];
    if (walked !== undefined && names.get(walked) === 'statements' && !limited)
      return { tableScan: null, readsAll: `every published statement's index entry: ${text}` };
  }
  return { tableScan: null, readsAll: null };
}

function postgresVerdict(
  plan: string[],
  statementCount: number,
): Pick<QueryPlan, 'tableScan' | 'readsAll'> {
  let tableScan: string | null = null;
  let readsAll: string | null = null;
  for (const [index, line] of plan.entries()) {
    const node =
      /(Seq Scan|Index Scan|Index Only Scan|Bitmap Heap Scan)(?: Backward)?(?: using \w+)? on (\w+)/.exec(
        line,
      );
    const table = node?.[2];
    if (node === null || table === undefined || !PER_STATEMENT_TABLES.includes(table)) continue;
    if (node[1] === 'Seq Scan' && statementCount >= SMALL_SITE_STATEMENTS)
      tableScan ??= `sequential scan of ${table}: ${line.trim()}`;
    if (table !== 'statements') continue;
    const actual = /actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)/.exec(line);
    if (actual === null) continue;
    // The node's own detail lines follow it, up to the next node; rows it filtered out were read too.
    let removed = 0;
    for (const detail of plan.slice(index + 1)) {
      if (detail.includes('->')) break;
      removed += Number(/Rows Removed by Filter: (\d+)/.exec(detail)?.[1] ?? 0);
    }
    const read = (Number(actual[1]) + removed) * Number(actual[2]);
    if (statementCount > 0 && read >= statementCount / 2)
      readsAll ??= `reads ${read} of ${statementCount} statements: ${line.trim()}`;
  }
  return { tableScan, readsAll };
}

/** EXPLAIN of each distinct query, with what it reads of the per-statement tables. */
export async function explainQueries(
  db: Kysely<Database>,
  engine: Engine,
  queries: readonly CompiledQuery[],
  statementCount: number,
): Promise<QueryPlan[]> {
  const seen = new Set<string>();
  const plans: QueryPlan[] = [];
  for (const query of queries) {
    const key = `${query.sql}\n${JSON.stringify(query.parameters)}`;
    if (seen.has(key) || !/^\s*(select|with)\b/i.test(query.sql)) continue;
    seen.add(key);
    const plan: string[] = [];
    let executionMs: number | null = null;
    if (engine === 'sqlite') {
      const result = await db.executeQuery<{ id: number; parent: number; detail: string }>(
        CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
      );
      const depth = new Map<number, number>([[0, 0]]);
      for (const row of result.rows) {
        const level = (depth.get(row.parent) ?? 0) + 1;
        depth.set(row.id, level);
        plan.push(`${'  '.repeat(level - 1)}${row.detail}`);
      }
    } else {
      const result = await db.executeQuery<{ 'QUERY PLAN': string }>(
        CompiledQuery.raw(`explain (analyze, buffers) ${query.sql}`, [...query.parameters]),
      );
      for (const row of result.rows) {
        plan.push(row['QUERY PLAN']);
        const time = /^Execution Time: ([\d.]+) ms/.exec(row['QUERY PLAN'])?.[1];
        if (time !== undefined) executionMs = Number(time);
      }
    }
    plans.push({
      sql: query.sql,
      parameters: query.parameters,
      plan,
      ...(engine === 'sqlite'
        ? sqliteVerdict(plan, perStatementNames(query.sql), query.sql)
        : postgresVerdict(plan, statementCount)),
      executionMs,
    });
  }
  return plans;
}
