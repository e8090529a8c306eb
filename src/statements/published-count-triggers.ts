import { type Kysely, sql } from 'kysely';
import type { Engine } from '../db/dialect.ts';

/**
 * Counts of published statements kept by triggers, so a page reads a few rows instead of
 * counting up to 100,000 index entries after every content change.
 *
 * published_counts holds, per bucket (compared byte by byte: PostgreSQL's C collation) ('all', 'o:<organisation id>', 'm:<UTC month>',
 * 'd:<UTC day>') and language: the published statements in that language, the published
 * originals in it, and the published originals in other languages that have a published
 * translation into it. Any language view's count follows from those three.
 *
 * counted_statements, counted_signatures and counted_translations remember what each statement
 * added, so a recount takes that away and adds what it adds now: recounting is idempotent,
 * and every trigger simply recounts each statement whose count the change may touch.
 */

/** UTC month and day of published_at, as text that sorts like the instant. */
function periodColumns(engine: Engine): { month: string; day: string } {
  return engine === 'sqlite'
    ? { month: 'substr(published_at, 1, 7)', day: 'substr(published_at, 1, 10)' }
    : {
        month: `to_char(published_at at time zone 'UTC', 'YYYY-MM')`,
        day: `to_char(published_at at time zone 'UTC', 'YYYY-MM-DD')`,
      };
}

/** Adds (sign 1) or takes away (sign -1) what the counted statement `id` contributes. */
function applyLedger(id: string, sign: 1 | -1): string {
  const by = sign === 1 ? '' : '-';
  return `insert into published_counts (bucket, language, published, originals, translated)
    select buckets.bucket, entries.language, ${by}sum(entries.published), ${by}sum(entries.originals),
      ${by}sum(entries.translated)
    from (
      select 'all' as bucket from counted_statements where statement_id = ${id}
      union all select 'm:' || month from counted_statements where statement_id = ${id}
      union all select 'd:' || day from counted_statements where statement_id = ${id}
      union all select 'o:' || cast(organisation_id as text) from counted_signatures
        where statement_id = ${id}
    ) as buckets
    cross join (
      select language, 1 as published, original as originals, 0 as translated
        from counted_statements where statement_id = ${id}
      union all select language, 0, 0, 1 from counted_translations where statement_id = ${id}
    ) as entries
    where true
    group by buckets.bucket, entries.language
    order by buckets.bucket, entries.language
    on conflict (bucket, language) do update set
      published = published_counts.published + excluded.published,
      originals = published_counts.originals + excluded.originals,
      translated = published_counts.translated + excluded.translated;`;
}

/** The statements that bring statement `id`'s count up to date, whatever it was before. */
function recountStatements(engine: Engine, id: string): string[] {
  const { month, day } = periodColumns(engine);
  return [
    applyLedger(id, -1),
    `delete from counted_translations where statement_id = ${id};`,
    `delete from counted_signatures where statement_id = ${id};`,
    `delete from counted_statements where statement_id = ${id};`,
    `insert into counted_statements (statement_id, language, original, month, day)
      select id, language, case when translation_of_id is null then 1 else 0 end, ${month}, ${day}
      from statements where id = ${id} and status = 'published';`,
    `insert into counted_signatures (statement_id, organisation_id)
      select distinct signatory.statement_id, signatory.organisation_id
      from statement_signatories as signatory
      join counted_statements as counted on counted.statement_id = signatory.statement_id
      where signatory.statement_id = ${id};`,
    `insert into counted_translations (statement_id, language)
      select distinct translation.translation_of_id, translation.language
      from statements as translation
      join counted_statements as counted on counted.statement_id = translation.translation_of_id
      where translation.translation_of_id = ${id} and translation.status = 'published'
        and counted.original = 1 and translation.language <> counted.language;`,
    applyLedger(id, 1),
  ];
}

// Changes to bodies and titles count nothing: only these columns trigger a recount.
const COUNTED_COLUMNS = 'status, language, published_at, translation_of_id';

const SQLITE_TRIGGERS: [name: string, event: string, ids: string[]][] = [
  ['statements_counted_insert', 'after insert on statements', ['NEW.id', 'NEW.translation_of_id']],
  [
    'statements_counted_update',
    `after update of ${COUNTED_COLUMNS} on statements`,
    ['NEW.id', 'OLD.translation_of_id', 'NEW.translation_of_id'],
  ],
  ['statements_counted_delete', 'after delete on statements', ['OLD.id', 'OLD.translation_of_id']],
  ['signatories_counted_insert', 'after insert on statement_signatories', ['NEW.statement_id']],
  [
    'signatories_counted_update',
    'after update on statement_signatories',
    ['OLD.statement_id', 'NEW.statement_id'],
  ],
  ['signatories_counted_delete', 'after delete on statement_signatories', ['OLD.statement_id']],
];

const POSTGRES_FUNCTIONS = [
  `create function communique_recount_published(counted_id integer) returns void
    language plpgsql as $$
    begin
      if counted_id is null then return; end if;
      -- Two transactions recounting one statement wait for each other, each then sees the other's rows.
      -- A row lock, kept in the row itself: advisory locks, one per statement, filled the shared lock table on bulk loads.
      -- NO KEY UPDATE, as an update of the row takes: unlike FOR UPDATE it does not wait for a signatory's foreign-key check.
      perform 1 from statements where id = counted_id for no key update;
      ${recountStatements('postgres', 'counted_id').join('\n      ')}
    end $$`,
  `create function communique_statements_counted() returns trigger language plpgsql as $$
    begin
      if tg_op <> 'INSERT' then
        perform communique_recount_published(OLD.id);
        perform communique_recount_published(OLD.translation_of_id);
      end if;
      if tg_op <> 'DELETE' then
        if tg_op = 'INSERT' or NEW.id <> OLD.id then perform communique_recount_published(NEW.id); end if;
        if tg_op = 'INSERT' or NEW.translation_of_id is distinct from OLD.translation_of_id then
          perform communique_recount_published(NEW.translation_of_id);
        end if;
      end if;
      return null;
    end $$`,
  `create function communique_signatories_counted() returns trigger language plpgsql as $$
    begin
      if tg_op <> 'INSERT' then perform communique_recount_published(OLD.statement_id); end if;
      if tg_op = 'INSERT' or (tg_op = 'UPDATE' and NEW.statement_id <> OLD.statement_id) then
        perform communique_recount_published(NEW.statement_id);
      end if;
      return null;
    end $$`,
];

const POSTGRES_TRIGGERS = [
  `create trigger statements_counted
    after insert or delete or update of ${COUNTED_COLUMNS} on statements
    for each row execute function communique_statements_counted()`,
  `create trigger signatories_counted
    after insert or delete or update on statement_signatories
    for each row execute function communique_signatories_counted()`,
];

/** Every existing statement counted at once, as the triggers would have counted them one by one. */
function fillStatements(engine: Engine): string[] {
  const { month, day } = periodColumns(engine);
  return [
    `insert into counted_statements (statement_id, language, original, month, day)
      select id, language, case when translation_of_id is null then 1 else 0 end, ${month}, ${day}
      from statements where status = 'published'`,
    `insert into counted_signatures (statement_id, organisation_id)
      select distinct signatory.statement_id, signatory.organisation_id
      from statement_signatories as signatory
      join counted_statements as counted on counted.statement_id = signatory.statement_id`,
    `insert into counted_translations (statement_id, language)
      select distinct translation.translation_of_id, translation.language
      from statements as translation
      join counted_statements as counted on counted.statement_id = translation.translation_of_id
      where translation.status = 'published' and counted.original = 1
        and translation.language <> counted.language`,
    `insert into published_counts (bucket, language, published, originals, translated)
      select bucket, language, sum(published), sum(originals), sum(translated)
      from (
        select buckets.bucket, entries.language, entries.published, entries.originals, entries.translated
        from (
          select statement_id, 'all' as bucket from counted_statements
          union all select statement_id, 'm:' || month from counted_statements
          union all select statement_id, 'd:' || day from counted_statements
          union all select statement_id, 'o:' || cast(organisation_id as text) from counted_signatures
        ) as buckets
        join (
          select statement_id, language, 1 as published, original as originals, 0 as translated
            from counted_statements
          union all select statement_id, language, 0, 0, 1 from counted_translations
        ) as entries on entries.statement_id = buckets.statement_id
      ) as contributions
      group by bucket, language`,
  ];
}

// biome-ignore-start lint/suspicious/noExplicitAny: runs in migrations, before the typed schema exists
type AnyDb = Kysely<any>;
// biome-ignore-end lint/suspicious/noExplicitAny: runs in migrations, before the typed schema exists

async function run(db: AnyDb, statements: string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

async function createTriggers(db: AnyDb, engine: Engine): Promise<void> {
  if (engine === 'postgres') return run(db, POSTGRES_TRIGGERS);
  for (const [name, event, ids] of SQLITE_TRIGGERS) {
    const body = ids.flatMap((id) => recountStatements('sqlite', id)).join('\n');
    await sql.raw(`create trigger ${name} ${event} begin ${body} end`).execute(db);
  }
}

async function dropTriggers(db: AnyDb, engine: Engine): Promise<void> {
  if (engine === 'postgres')
    return run(db, [
      'drop trigger if exists signatories_counted on statement_signatories',
      'drop trigger if exists statements_counted on statements',
    ]);
  for (const [name] of SQLITE_TRIGGERS) await sql.raw(`drop trigger if exists ${name}`).execute(db);
}

/** Migration 0013: counts every statement there is, then keeps counting through triggers. */
export async function installCounting(db: AnyDb, engine: Engine): Promise<void> {
  await run(db, fillStatements(engine));
  if (engine === 'postgres') await run(db, POSTGRES_FUNCTIONS);
  await createTriggers(db, engine);
}

export async function uninstallCounting(db: AnyDb, engine: Engine): Promise<void> {
  await dropTriggers(db, engine);
  if (engine === 'postgres')
    await run(db, [
      'drop function communique_signatories_counted()',
      'drop function communique_statements_counted()',
      'drop function communique_recount_published(integer)',
    ]);
}

/** Bulk loads: the triggers go, so a row costs no recount, until `resumeCounting` counts them all at once. */
export async function pauseCounting(db: AnyDb, engine: Engine): Promise<void> {
  await dropTriggers(db, engine);
}

/** Counts every statement afresh and brings the triggers back, in the caller's transaction if it has one. */
export async function resumeCounting(db: AnyDb, engine: Engine): Promise<void> {
  const recount = async (trx: AnyDb) => {
    // Paused or not: the counts are taken from scratch with no trigger counting alongside.
    await dropTriggers(trx, engine);
    await run(trx, [
      'delete from published_counts',
      'delete from counted_translations',
      'delete from counted_signatures',
      'delete from counted_statements',
      ...fillStatements(engine),
    ]);
    await createTriggers(trx, engine);
  };
  await (db.isTransaction ? recount(db) : db.transaction().execute(recount));
}
