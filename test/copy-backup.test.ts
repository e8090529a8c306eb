import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { createAccessToken } from '../src/accounts/access-token-service.ts';
import { findUserById } from '../src/accounts/user-repository.ts';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { type DatabaseHandle, openDatabase } from '../src/db/connect.ts';
import type { Queryable } from '../src/db/database.ts';
import { knownMigrations, migrateTo, migrateToLatest } from '../src/db/migrate.ts';
import {
  combineChecksums,
  type TableChecksum,
  TableHasher,
} from '../src/db/snapshot/content-checksum.ts';
import { type BackupHeader, readBackupHeader } from '../src/db/snapshot/index.ts';
import { listTables, readAppliedMigrations, readColumns } from '../src/db/snapshot/schema-info.ts';
import { readTableBatches, type SnapshotTable } from '../src/db/snapshot/snapshot-reader.ts';
import {
  COPIED_TABLES,
  EPHEMERAL_TABLES,
  isDerivedTable,
  isKnownTable,
} from '../src/db/snapshot/table-order.ts';
import { seedDemoContent } from '../src/demo/seed-demo-content.ts';
import { createLogger } from '../src/http/logger.ts';
import {
  createStatement,
  findEditableStatement,
  updateStatement,
} from '../src/statements/statement-service.ts';
import { addUser, TEST_PASSWORD } from './helpers/browser-session.ts';
import { CLI, type CliResult, PROJECT_ROOT, runCli } from './helpers/cli.ts';
import {
  createTestDatabase,
  type Engine,
  type TestDatabase,
  testEngines,
} from './helpers/engines.ts';

const engines = await testEngines();
const otherEngine = (engine: Engine): Engine =>
  engine === 'sqlite' && engines.includes('postgres') ? 'postgres' : 'sqlite';
const BASE_URL = 'https://communique.example.org';
const SEARCHES = ['karacamli', 'tenants', '"domestic workers"', 'revised'];
const SYSTEM_ACTOR = { userId: null, label: 'test', ip: null };
// Enough rows that the backup takes a while, so writes land while its transaction is open.
const BULK_STATEMENTS = 600;

const databases: TestDatabase[] = [];
const folders: string[] = [];
after(async () => {
  for (const database of databases) await database.drop();
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

async function freshDatabase(engine: Engine): Promise<TestDatabase> {
  const database = await createTestDatabase(engine);
  databases.push(database);
  return database;
}

async function scratchFolder(): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), 'communique-copy-'));
  folders.push(folder);
  return folder;
}

async function withHandle<T>(url: string, use: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
  const handle = await openDatabase(loadConfig({ DATABASE_URL: url }).database);
  try {
    return await use(handle);
  } finally {
    await handle.close();
  }
}

async function count(db: Queryable, table: string): Promise<number> {
  const result = await sql<{
    count: number | string;
  }>`select count(*) as count from ${sql.table(table)}`.execute(db);
  return Number(result.rows[0]?.count ?? 0);
}

async function countPublished(db: Queryable): Promise<number> {
  const result = await db
    .selectFrom('statements')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('status', '=', 'published')
    .executeTakeFirstOrThrow();
  return Number(result.count);
}

async function tableCounts(url: string): Promise<Record<string, number>> {
  return withHandle(url, async (handle) => {
    const counts: Record<string, number> = {};
    for (const name of [...COPIED_TABLES.map((table) => table.name), ...EPHEMERAL_TABLES])
      counts[name] = await count(handle.db, name);
    return counts;
  });
}

/** The site's tables that exist in a database: none before its schema is made. */
async function siteTablesOf(url: string): Promise<string[]> {
  return withHandle(url, async (handle) => {
    const names = new Set(await listTables(handle.db, handle.engine));
    return [...COPIED_TABLES.map((table) => table.name), ...EPHEMERAL_TABLES].filter((name) =>
      names.has(name),
    );
  });
}

async function appliedMigrations(url: string): Promise<string[]> {
  return withHandle(url, (handle) => readAppliedMigrations(handle.db, handle.engine));
}

/** Every file of a folder with its contents, for comparing exports. */
async function readFolder(folder: string): Promise<Record<string, string>> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const files: Record<string, string> = {};
  for (const entry of entries.filter((candidate) => candidate.isFile()).sort()) {
    const file = path.join(entry.parentPath, entry.name);
    files[path.relative(folder, file)] = await readFile(file, 'utf8');
  }
  return Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)));
}

async function exportSite(url: string): Promise<Record<string, string>> {
  const folder = path.join(await scratchFolder(), 'export');
  const result = await runCli(['export', folder], { DATABASE_URL: url });
  assert.equal(result.code, 0, result.stderr);
  return readFolder(folder);
}

function assertOneLineFailure(result: CliResult, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, `exit code; stderr: ${result.stderr}`);
  const lines = result.stderr
    .trim()
    .split('\n')
    .filter((line) => !/…/.test(line) && !/^ {2}\S+: [\d,]+ rows?/.test(line));
  assert.equal(lines.length, 1, `one line of explanation, got:\n${result.stderr}`);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

function reportedChecksum(result: CliResult): string {
  const match = /Checksum \(SHA-256 of every copied row\): ([0-9a-f]{64})/.exec(result.stdout);
  assert.ok(match?.[1], `a checksum in:\n${result.stdout}`);
  return match[1];
}

function reportedCounts(result: CliResult): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const match of result.stdout.matchAll(/^ {2}(\w+) +([\d,]+)$/gm))
    counts[match[1] ?? ''] = Number((match[2] ?? '').replaceAll(',', ''));
  return counts;
}

/** The site at a database URL, served in-process, for comparing pages. */
async function renderPages(url: string, paths: string[]): Promise<string[]> {
  const mediaDir = await scratchFolder();
  const config = loadConfig({
    DATABASE_URL: url,
    LOG_LEVEL: 'warn',
    BASE_URL,
    MEDIA_DIR: mediaDir,
    COMMUNIQUE_DEMO: '0',
  });
  const handle = await openDatabase(config.database);
  const app = await buildApp(config, handle, createLogger({ logLevel: 'warn', logFormat: 'json' }));
  try {
    const origin = await app.server.listen({ port: 0, host: '127.0.0.1' });
    const pages: string[] = [];
    for (const page of paths) {
      const response = await fetch(`${origin}${page}`);
      assert.equal(response.status, 200, page);
      pages.push(await response.text());
    }
    return pages;
  } finally {
    await app.close();
    await handle.close();
  }
}

function searchResults(html: string): string[] {
  return [...html.matchAll(/<article class="search-result"[\s\S]*?href="\/statements\/([^"]+)"/g)]
    .map((match) => match[1] ?? '')
    .sort();
}

/**
 * The demo network plus a bit of everything else a site holds: accounts, a token, a revision
 * and a redirect, media and webhook rows, a translation pointing at a later statement, enough
 * audit rows and redirects to need several batches, and sessions that must not travel.
 */
async function buildRichSite(url: string): Promise<void> {
  await withHandle(url, async (handle) => {
    await migrateToLatest(handle);
    await seedDemoContent(handle);
    const adminId = await addUser(handle, 'ana@example.org', 'admin');
    await addUser(handle, 'cem@example.org', 'contributor', ['liffeyside-tenants']);
    const admin = await findUserById(handle.db, adminId);
    assert.ok(admin);
    await createAccessToken(handle, admin, SYSTEM_ACTOR, {
      name: 'Newsletter sync',
      scope: 'write',
      lifetimeDays: '30',
    });
    const editor = { user: admin, audit: { userId: adminId, label: 'ana@example.org', ip: null } };
    const current = await findEditableStatement(handle.db, 3);
    assert.ok(current);
    await updateStatement(
      handle,
      editor,
      3,
      {
        title: `${current.title} (revised)`,
        slug: `${current.slug}-revised`,
        bodyMd: `${current.bodyMd}\n\nRevised.`,
        summaryMd: current.summaryMd ?? '',
        language: current.language,
        publishedAt: current.publishedAt,
        signatoryIds: current.signatoryIds,
      },
      current.version,
    );
    const later = await createStatement(handle, editor, {
      title: 'A later original',
      slug: '',
      bodyMd: 'Written after its translation was filed.',
      summaryMd: '',
      language: 'en',
      publishedAt: new Date('2026-02-01T10:00:00Z'),
      signatoryIds: current.signatoryIds,
    });
    await handle.db
      .updateTable('statements')
      .set({ translation_of_id: later })
      .where('id', '=', 1)
      .execute();
    const now = new Date('2026-01-02T03:04:05.678Z');
    await handle.db
      .insertInto('media')
      .values({
        key: 'a1b2c3d4',
        original_name: 'harbour.jpg',
        mime_type: 'image/jpeg',
        width: 1600,
        height: 900,
        bytes: 123456,
        alt: 'The harbour at dawn',
        variants: JSON.stringify([{ width: 480, format: 'webp', file: 'a1b2c3d4-480.webp' }]),
        uploaded_by: adminId,
        created_at: now,
      })
      .execute();
    const webhook = await handle.db
      .insertInto('webhooks')
      .values({
        url: 'https://hooks.example.org/communique',
        description: 'Newsroom',
        events: JSON.stringify(['statement.published']),
        active: 1,
        secret_sealed: 'sealed-secret',
        created_by: adminId,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await handle.db
      .insertInto('webhook_events')
      .values({
        id: '5f0c8a3e-1111-4222-8333-944455556666',
        event: 'statement.published',
        statement_id: 2,
        payload: '{"id":2}',
        occurred_at: now,
      })
      .execute();
    await handle.db
      .insertInto('webhook_deliveries')
      .values({
        id: '0a1b2c3d-1111-4222-8333-944455556666',
        webhook_id: webhook.id,
        event_id: '5f0c8a3e-1111-4222-8333-944455556666',
        status: 'delivered',
        attempts: 1,
        next_attempt_at: now,
        lease_token: null,
        lease_until: null,
        last_attempt_at: now,
        last_status_code: 204,
        last_error: null,
        completed_at: now,
        created_at: now,
      })
      .execute();
    await handle.db
      .insertInto('sessions')
      .values({
        id: 'f'.repeat(64),
        user_id: adminId,
        second_factor_pending: 0,
        created_at: now,
        last_seen_at: now,
        expires_at: new Date('2099-01-01T00:00:00Z'),
        ip: '127.0.0.1',
        user_agent: 'test',
      })
      .execute();
    await handle.db
      .insertInto('login_throttle')
      .values({
        key: 'account:ana@example.org',
        failures: 2,
        window_started_at: now,
        locked_until: null,
      })
      .execute();
    // Over one batch of audit rows (integer keys) and of redirects (text keys that sort
    // differently under a natural-language collation than byte-wise).
    const auditRows = Array.from({ length: 2_345 }, (_, index) => ({
      at: new Date(now.getTime() + index * 1000),
      actor_user_id: index % 2 === 0 ? adminId : null,
      actor_label: 'bulk',
      action: 'test.bulk',
      subject_type: 'statement',
      subject_id: 1 + (index % 30),
      detail: JSON.stringify({ index, note: 'ünïcode ✓' }),
      ip: null,
    }));
    for (let start = 0; start < auditRows.length; start += 500)
      await handle.db
        .insertInto('audit_log')
        .values(auditRows.slice(start, start + 500))
        .execute();
    const stems = ['a-b', 'ab', 'Zeta', 'alpha', 'élan', 'Ærø', 'a_b', 'a b'];
    const redirects = Array.from({ length: 1_203 }, (_, index) => ({
      old_slug: `${stems[index % stems.length]}-${index}`,
      statement_id: 1 + (index % 30),
      created_at: now,
    }));
    for (let start = 0; start < redirects.length; start += 400)
      await handle.db
        .insertInto('slug_redirects')
        .values(redirects.slice(start, start + 400))
        .execute();
  });
}

describe('the copy/backup table list', () => {
  test('copied and ephemeral tables do not overlap, and the copy order has no repeats', () => {
    const copied = COPIED_TABLES.map((table) => table.name);
    assert.equal(new Set(copied).size, copied.length);
    for (const name of EPHEMERAL_TABLES) assert.ok(!copied.includes(name), name);
    assert.deepEqual(EPHEMERAL_TABLES.toSorted(), [
      'login_throttle',
      'rate_limit_windows',
      'sessions',
    ]);
  });
});

for (const engine of engines) {
  describe(`[${engine}] the copy/backup table list matches the migrated schema`, () => {
    let database: TestDatabase;
    let handle: DatabaseHandle;
    before(async () => {
      database = await freshDatabase(engine);
      handle = await openDatabase(loadConfig({ DATABASE_URL: database.url }).database);
      await migrateToLatest(handle);
      await seedDemoContent(handle);
    });
    after(() => handle?.close());

    test('every table is copied, ephemeral or derived (migrations, search index)', async () => {
      const unknown = (await listTables(handle.db, engine)).filter(
        (name) => !isKnownTable(name) && !isDerivedTable(name),
      );
      assert.deepEqual(
        unknown,
        [],
        'add these tables to src/db/snapshot/table-order.ts (copied or ephemeral)',
      );
    });

    test('primary keys are the ones the copy reads in order', async () => {
      for (const table of COPIED_TABLES) {
        const keys =
          engine === 'sqlite'
            ? (
                await sql<{ name: string }>`select name from pragma_table_info(${table.name})
                  where pk > 0 order by pk`.execute(handle.db)
              ).rows.map((row) => row.name)
            : (
                await sql<{ name: string }>`select kcu.column_name as name
                  from information_schema.table_constraints tc
                  join information_schema.key_column_usage kcu
                    on kcu.constraint_name = tc.constraint_name
                    and kcu.constraint_schema = tc.constraint_schema
                  where tc.table_schema = current_schema() and tc.table_name = ${table.name}
                    and tc.constraint_type = 'PRIMARY KEY'
                  order by kcu.ordinal_position`.execute(handle.db)
              ).rows.map((row) => row.name);
        assert.deepEqual(keys, [...table.primaryKey], table.name);
      }
    });

    test('every foreign key points to an earlier table, or is a listed self-reference', async () => {
      const order = COPIED_TABLES.map((table) => table.name as string);
      for (const table of COPIED_TABLES) {
        const references =
          engine === 'sqlite'
            ? (
                await sql<{ target: string; column: string }>`select "table" as target,
                  "from" as "column" from pragma_foreign_key_list(${table.name})`.execute(handle.db)
              ).rows
            : (
                await sql<{ target: string; column: string }>`select ccu.table_name as target,
                    kcu.column_name as "column"
                  from information_schema.table_constraints tc
                  join information_schema.key_column_usage kcu
                    on kcu.constraint_name = tc.constraint_name
                    and kcu.constraint_schema = tc.constraint_schema
                  join information_schema.constraint_column_usage ccu
                    on ccu.constraint_name = tc.constraint_name
                    and ccu.constraint_schema = tc.constraint_schema
                  where tc.table_schema = current_schema() and tc.table_name = ${table.name}
                    and tc.constraint_type = 'FOREIGN KEY'`.execute(handle.db)
              ).rows;
        for (const reference of references) {
          if (reference.target === table.name) {
            assert.ok(
              table.selfReferences.includes(reference.column),
              `${table.name}.${reference.column} refers to its own table: list it in selfReferences`,
            );
            continue;
          }
          assert.ok(
            order.indexOf(reference.target) >= 0 &&
              order.indexOf(reference.target) < order.indexOf(table.name),
            `${table.name}.${reference.column} refers to ${reference.target}, which must come first`,
          );
        }
      }
    });

    if (engine === 'postgres')
      test('the listed timestamp columns are exactly the timestamptz columns', async () => {
        for (const table of COPIED_TABLES) {
          const result = await sql<{ name: string }>`select column_name as name
            from information_schema.columns where table_schema = current_schema()
              and table_name = ${table.name} and data_type = 'timestamp with time zone'
            order by column_name`.execute(handle.db);
          assert.deepEqual(
            result.rows.map((row) => row.name),
            [...table.timestamps].sort(),
            table.name,
          );
        }
      });

    test('reading in small batches gives every row once, in key order', async () => {
      for (const name of ['statement_signatories', 'settings', 'statements'] as const) {
        const entry = COPIED_TABLES.find((table) => table.name === name);
        assert.ok(entry);
        const table: SnapshotTable = {
          entry,
          columns: await readColumns(handle.db, engine, name),
          rows: await count(handle.db, name),
        };
        const keyPositions = entry.primaryKey.map((key) =>
          table.columns.findIndex((column) => column.name === key),
        );
        const keys: string[] = [];
        for await (const batch of readTableBatches(handle.db, engine, table, 7))
          for (const row of batch)
            keys.push(JSON.stringify(keyPositions.map((position) => row[position])));
        assert.equal(keys.length, table.rows, name);
        assert.equal(new Set(keys).size, keys.length, `${name}: no row twice`);
      }
    });
  });
}

describe(`copy: SQLite → ${otherEngine('sqlite')} → SQLite`, () => {
  const middleEngine = otherEngine('sqlite');
  let source: TestDatabase;
  let middle: TestDatabase;
  let final: TestDatabase;
  let native: TestDatabase;
  let first: CliResult;
  let second: CliResult;

  before(async () => {
    source = await freshDatabase('sqlite');
    middle = await freshDatabase(middleEngine);
    final = await freshDatabase('sqlite');
    native = await freshDatabase(middleEngine);
    await buildRichSite(source.url);
    // The same site built directly on the middle engine: its search pages are the reference there.
    await buildRichSite(native.url);
    first = await runCli(['copy', '--from', source.url, '--to', middle.url]);
    second = await runCli(['copy', '--from', middle.url, '--to', final.url]);
  });

  test('both copies succeed with the same counts and checksum', async () => {
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    assert.match(first.stdout, /counts and checksum verified on the target/);
    assert.equal(reportedChecksum(first), reportedChecksum(second));
    assert.deepEqual(reportedCounts(first), reportedCounts(second));
    assert.match(first.stderr, /^ {2}statements: 35 rows/m, 'progress per table');
    assert.match(
      first.stdout,
      /0 accounts with two-factor sign-in and 1 webhook hold secrets sealed with the server key/,
    );
    const sourceCounts = await tableCounts(source.url);
    for (const [table, rows] of Object.entries(reportedCounts(first)))
      assert.equal(rows, sourceCounts[table], table);
  });

  test('every table holds the same rows on all three; sessions and throttling stay behind', async () => {
    const [a, b, c] = await Promise.all([source, middle, final].map((db) => tableCounts(db.url)));
    assert.ok(a && b && c);
    for (const table of COPIED_TABLES) {
      assert.equal(b[table.name], a[table.name], `${table.name} on ${middleEngine}`);
      assert.equal(c[table.name], a[table.name], `${table.name} on the final copy`);
    }
    assert.ok((a.audit_log ?? 0) > 2_000 && (a.slug_redirects ?? 0) > 1_000);
    assert.equal(a.sessions, 1);
    for (const name of EPHEMERAL_TABLES) {
      assert.equal(b[name], 0, `${name} on ${middleEngine}`);
      assert.equal(c[name], 0, `${name} on the final copy`);
    }
    const rows = async (url: string) =>
      withHandle(url, async (handle) => ({
        users: await handle.db.selectFrom('users').selectAll().orderBy('id').execute(),
        tokens: await handle.db.selectFrom('access_tokens').selectAll().orderBy('id').execute(),
        media: await handle.db.selectFrom('media').selectAll().orderBy('id').execute(),
        deliveries: await handle.db.selectFrom('webhook_deliveries').selectAll().execute(),
        translation: await handle.db
          .selectFrom('statements')
          .select(['id', 'translation_of_id'])
          .where('id', '=', 1)
          .execute(),
      }));
    assert.deepEqual(await rows(final.url), await rows(source.url));
  });

  test('communique export of the source and of the final copy are identical', async () => {
    const [original, copied] = [await exportSite(source.url), await exportSite(final.url)];
    assert.ok(Object.keys(original).length > 40);
    assert.deepEqual(copied, original);
  });

  test('the copies serve the same front page and search finds the same statements', async () => {
    const paths = ['/', ...SEARCHES.map((query) => `/search?q=${encodeURIComponent(query)}`)];
    const [original, viaMiddle, copied, reference] = await Promise.all(
      [source, middle, final, native].map((db) => renderPages(db.url, paths)),
    );
    assert.ok(original && viaMiddle && copied && reference);
    assert.equal(copied[0], original[0], 'front page HTML');
    assert.equal(viaMiddle[0], original[0], `front page HTML on ${middleEngine}`);
    for (let index = 1; index < paths.length; index++) {
      assert.ok(searchResults(original[index] ?? '').length > 0, `${paths[index]} finds something`);
      assert.equal(copied[index], original[index], `${paths[index]} on the final copy`);
      // Engines rank and stem differently: on the middle engine, compare with a site built there.
      assert.ok(searchResults(viaMiddle[index] ?? '').length > 0);
      assert.equal(viaMiddle[index], reference[index], `${paths[index]} on ${middleEngine}`);
    }
  });

  test('new rows on the copies get fresh ids', async () => {
    for (const target of [middle, final]) {
      await withHandle(target.url, async (handle) => {
        const before = await handle.db
          .selectFrom('audit_log')
          .select((eb) => eb.fn.max('id').as('id'))
          .executeTakeFirstOrThrow();
        const inserted = await handle.db
          .insertInto('audit_log')
          .values({
            at: new Date(),
            actor_user_id: null,
            actor_label: 'after the copy',
            action: 'test.after',
            subject_type: null,
            subject_id: null,
            detail: '{}',
            ip: null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        assert.ok(inserted.id > Number(before.id), `${target.engine}: ${inserted.id}`);
        const page = await handle.db
          .insertInto('pages')
          .values({
            slug: 'after-the-copy',
            title: 'After',
            body_md: '',
            body_html: '',
            created_at: new Date(),
            updated_at: new Date(),
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        assert.ok(page.id > 1);
      });
    }
  });
});

for (const engine of engines) {
  describe(`[${engine}] copy into a database that is not empty`, () => {
    let source: TestDatabase;
    let target: TestDatabase;
    let targetExport: Record<string, string>;

    before(async () => {
      source = await freshDatabase('sqlite');
      await buildRichSite(source.url);
      target = await freshDatabase(engine);
      await withHandle(target.url, async (handle) => {
        await migrateToLatest(handle);
        await seedDemoContent(handle);
        await handle.db
          .insertInto('pages')
          .values({
            slug: 'only-on-the-target',
            title: 'Only on the target',
            body_md: 'Kept unless forced.',
            body_html: '<p>Kept unless forced.</p>',
            created_at: new Date(),
            updated_at: new Date(),
          })
          .execute();
        const userId = await addUser(handle, 'target@example.org', 'editor');
        await handle.db
          .insertInto('sessions')
          .values({
            id: 'e'.repeat(64),
            user_id: userId,
            second_factor_pending: 0,
            created_at: new Date(),
            last_seen_at: new Date(),
            expires_at: new Date('2099-01-01T00:00:00Z'),
            ip: null,
            user_agent: null,
          })
          .execute();
      });
      targetExport = await exportSite(target.url);
    });

    test('is refused without --force, and the target is left as it was', async () => {
      const before = await tableCounts(target.url);
      const result = await runCli(['copy', '--from', source.url, '--to', target.url]);
      assertOneLineFailure(
        result,
        1,
        /is not empty \(.*statements: 34.*\); nothing was written\. Pass --force/,
      );
      assert.deepEqual(await tableCounts(target.url), before);
      assert.deepEqual(await exportSite(target.url), targetExport);
    });

    test('all or nothing: a row the target refuses midway leaves it as it was', async () => {
      const lastSlug = await withHandle(source.url, async (handle) => {
        const row = await handle.db
          .selectFrom('statements')
          .select('slug')
          .orderBy('id', 'desc')
          .executeTakeFirstOrThrow();
        return row.slug;
      });
      await withHandle(target.url, async (handle) => {
        if (engine === 'sqlite')
          await sql
            .raw(`create trigger refuse_last before insert on statements when new.slug = '${lastSlug}'
              begin select raise(abort, 'refused by the test'); end`)
            .execute(handle.db);
        else
          await sql
            .raw(
              `alter table statements add constraint refuse_last check (slug <> '${lastSlug}') not valid`,
            )
            .execute(handle.db);
      });
      const before = await tableCounts(target.url);
      try {
        const result = await runCli(['copy', '--from', source.url, '--to', target.url, '--force']);
        assertOneLineFailure(
          result,
          1,
          /^Writing statements into .* failed, so nothing was written: .*(refused by the test|refuse_last)/,
        );
        assert.match(result.stderr, /^ {2}organisations: 6 rows/m, 'it got past the first tables');
        assert.deepEqual(await tableCounts(target.url), before);
        assert.deepEqual(await exportSite(target.url), targetExport);
      } finally {
        await withHandle(target.url, (handle) =>
          sql
            .raw(
              engine === 'sqlite'
                ? 'drop trigger refuse_last'
                : 'alter table statements drop constraint refuse_last',
            )
            .execute(handle.db),
        );
      }
    });

    test('all or nothing: rows that read back differently are rolled back', async () => {
      // The target quietly changes what it is given: only the read-back checksum can notice.
      await withHandle(target.url, async (handle) => {
        if (engine === 'sqlite')
          await sql
            .raw(`create trigger tamper after insert on pages begin
              update pages set title = title || ' (changed)' where id = new.id; end`)
            .execute(handle.db);
        else {
          await sql
            .raw(`create function tamper() returns trigger language plpgsql as $$
              begin new.title := new.title || ' (changed)'; return new; end $$`)
            .execute(handle.db);
          await sql
            .raw(
              'create trigger tamper before insert on pages for each row execute function tamper()',
            )
            .execute(handle.db);
        }
      });
      const before = await tableCounts(target.url);
      try {
        const result = await runCli(['copy', '--from', source.url, '--to', target.url, '--force']);
        assertOneLineFailure(
          result,
          1,
          /^Verification failed on .*: table pages has 1 rows as expected but different content\. The transaction was rolled back; nothing was written\./,
        );
        assert.deepEqual(await tableCounts(target.url), before);
        assert.deepEqual(await exportSite(target.url), targetExport);
      } finally {
        await withHandle(target.url, async (handle) => {
          await sql
            .raw(`drop trigger tamper${engine === 'sqlite' ? '' : ' on pages'}`)
            .execute(handle.db);
          if (engine === 'postgres') await sql.raw('drop function tamper()').execute(handle.db);
        });
      }
    });

    test('with --force the target is replaced by the source, sessions included', async () => {
      // A published statement only the target has: the counts kept by triggers must forget it.
      await withHandle(target.url, (handle) => addBulkStatements(handle, 1));
      const result = await runCli(['copy', '--from', source.url, '--to', target.url, '--force']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /Replaced the [\d,]+ rows the target held before\./);
      assert.deepEqual(await exportSite(target.url), await exportSite(source.url));
      const counts = await tableCounts(target.url);
      const expected = await tableCounts(source.url);
      for (const table of COPIED_TABLES) assert.equal(counts[table.name], expected[table.name]);
      assert.equal(counts.sessions, 0);
      await withHandle(target.url, async (handle) => {
        const page = await handle.db
          .selectFrom('pages')
          .select('id')
          .where('slug', '=', 'only-on-the-target')
          .executeTakeFirst();
        assert.equal(page, undefined);
        const kept = await sql<{ published: number | string | null }>`select sum(published)
          as published from published_counts where bucket = 'all'`.execute(handle.db);
        assert.equal(
          Number(kept.rows[0]?.published ?? 0),
          await countPublished(handle.db),
          'the kept count of published statements is the real one',
        );
      });
    });
  });
}

/** Published statements with a signatory and a first revision each, written in bulk. */
async function addBulkStatements(handle: DatabaseHandle, total: number): Promise<void> {
  const organisation = await handle.db
    .selectFrom('organisations')
    .select('id')
    .orderBy('id')
    .executeTakeFirstOrThrow();
  const body = 'Neighbours met again to talk about rents, repairs and the river. '.repeat(30);
  for (let start = 0; start < total; start += 100) {
    await handle.db.transaction().execute(async (trx) => {
      const when = new Date('2024-06-01T09:00:00.000Z');
      const rows = Array.from({ length: Math.min(100, total - start) }, (_, index) => ({
        slug: `bulk-statement-${start + index}`,
        title: `Bulk statement ${start + index}`,
        body_md: body,
        body_html: `<p>${body}</p>`,
        summary_md: null,
        summary_html: null,
        language: 'en',
        status: 'published',
        published_at: new Date(when.getTime() + (start + index) * 60_000),
        translation_of_id: null,
        created_at: when,
        updated_at: when,
        created_by: null,
        translation_source_hash: null,
      }));
      const ids = await trx.insertInto('statements').values(rows).returning('id').execute();
      await trx
        .insertInto('statement_signatories')
        .values(
          ids.map(({ id }) => ({
            statement_id: id,
            organisation_id: organisation.id,
            position: 0,
          })),
        )
        .execute();
      await trx
        .insertInto('statement_revisions')
        .values(
          ids.map(({ id }, index) => ({
            statement_id: id,
            number: 1,
            title: rows[index]?.title ?? '',
            slug: rows[index]?.slug ?? '',
            body_md: body,
            summary_md: null,
            language: 'en',
            published_at: when,
            signatory_ids: JSON.stringify([organisation.id]),
            status: 'published',
            author_user_id: null,
            author_label: 'bulk',
            created_at: when,
          })),
        )
        .execute();
    });
  }
}

/** A real `communique serve` process over an existing database. */
async function startServer(
  url: string,
  mediaDir: string,
): Promise<{ origin: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'serve'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: url,
      PORT: '0',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'pretty',
      COMMUNIQUE_DEMO: '0',
      MEDIA_DIR: mediaDir,
      API_RATE_LIMIT_PER_MINUTE: '100000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  let origin: string | undefined;
  while (origin === undefined) {
    origin = /Communiqué is serving (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    if (origin === undefined && (Date.now() > deadline || child.exitCode !== null)) {
      child.kill('SIGKILL');
      throw new Error(`the server did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    origin,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

interface Write {
  id: number;
  status: number;
  endedAt: number;
  milliseconds: number;
}

/** Creates statements through the Admin API one after another until stopped. */
function startWriting(origin: string, token: string): { writes: Write[]; stop(): Promise<void> } {
  const writes: Write[] = [];
  let running = true;
  const loop = (async () => {
    for (let index = 0; running; index++) {
      const started = Date.now();
      const response = await fetch(`${origin}/api/v1/admin/statements`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          title: `Written during the backup ${index}`,
          body: `Statement number ${index}, written while a backup runs.`,
          language: 'en',
          organisations: ['liffeyside-tenants', 'steki-patras'],
        }),
      });
      const body = (await response.json()) as { id?: number };
      writes.push({
        id: body.id ?? -1,
        status: response.status,
        endedAt: Date.now(),
        milliseconds: Date.now() - started,
      });
    }
  })();
  return {
    writes,
    async stop() {
      running = false;
      await loop;
    },
  };
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Header {
  created_at: string;
  migrations: string[];
  tables: { name: string; rows: number }[];
  checksum: string;
}

async function readHeader(file: string): Promise<Header> {
  const text = gunzipSync(await readFile(file)).toString('utf8');
  return JSON.parse(text.slice(0, text.indexOf('\n'))) as Header;
}

for (const engine of engines) {
  describe(`[${engine}] backup while the site serves and writes, restored into ${otherEngine(engine)}`, () => {
    let live: TestDatabase;
    let restored: TestDatabase;
    let backup: CliResult;
    let restore: CliResult;
    let writes: Write[];
    let backupWindow: { started: number; ended: number };
    let file: string;
    let initialMaxId: number;

    before(async () => {
      live = await freshDatabase(engine);
      restored = await freshDatabase(otherEngine(engine));
      const folder = await scratchFolder();
      file = path.join(folder, 'site.ndjson.gz');
      initialMaxId = await withHandle(live.url, async (handle) => {
        await migrateToLatest(handle);
        await seedDemoContent(handle);
        await addBulkStatements(handle, BULK_STATEMENTS);
        const row = await handle.db
          .selectFrom('statements')
          .select((eb) => eb.fn.max('id').as('id'))
          .executeTakeFirstOrThrow();
        return Number(row.id);
      });
      const created = await runCli(
        [
          'user',
          'create',
          '--email',
          'writer@example.org',
          '--name',
          'Writer',
          '--role',
          'editor',
          '--password-stdin',
        ],
        { DATABASE_URL: live.url },
        TEST_PASSWORD,
      );
      assert.equal(created.code, 0, created.stderr);
      const userId = Number(/#(\d+)/.exec(created.stdout)?.[1]);
      const token = await withHandle(live.url, async (handle) => {
        const user = await findUserById(handle.db, userId);
        assert.ok(user);
        return (
          await createAccessToken(handle, user, SYSTEM_ACTOR, {
            name: 'Load',
            scope: 'write',
            lifetimeDays: 'never',
          })
        ).token;
      });
      const server = await startServer(live.url, folder);
      try {
        const writer = startWriting(server.origin, token);
        writes = writer.writes;
        try {
          await waitUntil(() => writes.length >= 5, 'the first writes');
          const started = Date.now();
          backup = await runCli(['backup', file], { DATABASE_URL: live.url });
          backupWindow = { started, ended: Date.now() };
          const after = writes.length;
          await waitUntil(() => writes.length >= after + 5, 'writes after the backup');
        } finally {
          await writer.stop();
        }
      } finally {
        await server.stop();
      }
      restore = await runCli(['restore', file], { DATABASE_URL: restored.url });
    });

    test('the backup and the restore succeed, and writers were never held up', async () => {
      assert.equal(backup.code, 0, backup.stderr);
      assert.match(backup.stdout, /the file was read back and verified/);
      assert.equal(restore.code, 0, restore.stderr);
      assert.match(restore.stdout, /counts and checksum verified/);
      assert.deepEqual(
        writes.filter((write) => write.status !== 201),
        [],
        'every write succeeded',
      );
      const header = await readHeader(file);
      const snapshotAt = Date.parse(header.created_at);
      const during = writes.filter(
        (write) => write.endedAt > snapshotAt && write.endedAt < backupWindow.ended,
      );
      assert.ok(during.length > 0, 'writes completed while the backup transaction was open');
      const slowest = Math.max(...during.map((write) => write.milliseconds));
      // A writer blocked by the backup would wait out SQLite's 5 s busy timeout, then fail.
      assert.ok(slowest < 4_000, `a write took ${slowest} ms during the backup`);
      assert.equal(reportedChecksum(restore), header.checksum);
    });

    test('the restored site is one moment: counts match the header, no write is half there', async () => {
      const header = await readHeader(file);
      const counts = await tableCounts(restored.url);
      for (const table of header.tables) assert.equal(counts[table.name], table.rows, table.name);
      await withHandle(restored.url, async (handle) => {
        const ids = (
          await handle.db.selectFrom('statements').select('id').orderBy('id').execute()
        ).map((row) => row.id);
        const maxId = Math.max(...ids);
        const written = writes.map((write) => write.id);
        const writtenBefore = written.filter((id) => id <= maxId);
        assert.ok(writtenBefore.length >= 5, 'writes before the snapshot are in it');
        assert.ok(
          written.some((id) => id > maxId),
          'writes after the snapshot are not',
        );
        // One writer commits in id order, so a snapshot holds exactly the writes up to a point.
        assert.deepEqual(
          ids.filter((id) => id > initialMaxId),
          writtenBefore,
        );
        const without = async (table: 'statement_signatories' | 'statement_revisions') =>
          handle.db
            .selectFrom('statements')
            .select('id')
            .where((eb) =>
              eb.not(
                eb.exists(
                  eb
                    .selectFrom(table)
                    .select('statement_id')
                    .whereRef(`${table}.statement_id`, '=', 'statements.id'),
                ),
              ),
            )
            // The imported demo statements have no revisions; the bulk and API ones all do.
            .where('id', '>', initialMaxId - BULK_STATEMENTS)
            .execute();
        assert.deepEqual(await without('statement_signatories'), []);
        assert.deepEqual(await without('statement_revisions'), []);
        const signatories = await handle.db
          .selectFrom('statement_signatories')
          .select((eb) => eb.fn.countAll<number>().as('count'))
          .where('statement_id', '>', initialMaxId)
          .executeTakeFirstOrThrow();
        assert.equal(Number(signatories.count), writtenBefore.length * 2);
        const audited = (
          await handle.db
            .selectFrom('audit_log')
            .select('subject_id')
            .where('action', '=', 'statement.created')
            .orderBy('subject_id')
            .execute()
        ).map((row) => row.subject_id);
        assert.deepEqual(audited, writtenBefore, 'an audit row for each statement, and no more');
      });
    });

    test('the restored site exports exactly as the live site did at that moment', async () => {
      const maxId = await withHandle(restored.url, async (handle) =>
        Number(
          (
            await handle.db
              .selectFrom('statements')
              .select((eb) => eb.fn.max('id').as('id'))
              .executeTakeFirstOrThrow()
          ).id,
        ),
      );
      // The live site now, minus what was written after the snapshot (writes only added statements).
      const then = await freshDatabase(engine);
      const copied = await runCli(['copy', '--from', live.url, '--to', then.url]);
      assert.equal(copied.code, 0, copied.stderr);
      await withHandle(then.url, (handle) =>
        handle.db.deleteFrom('statements').where('id', '>', maxId).execute(),
      );
      const [expected, actual] = [await exportSite(then.url), await exportSite(restored.url)];
      assert.ok(Object.keys(actual).some((name) => name.includes('written-during-the-backup')));
      assert.deepEqual(actual, expected);
    });
  });
}

// Several releases back: before webhooks, access tokens and rate limits had tables.
const OLD_LEVEL = '0007-search-speed';

/** A copy of a backup with some rows changed, and its header's counts and checksums made to match. */
async function rewrittenBackup(
  file: string,
  change: (table: string, columns: string[], rows: unknown[][]) => unknown[][],
): Promise<string> {
  const [first = '', ...rest] = gunzipSync(await readFile(file))
    .toString('utf8')
    .split('\n');
  const header = JSON.parse(first) as BackupHeader;
  const lines: string[] = [];
  const checksums: TableChecksum[] = [];
  let position = 0;
  for (const table of header.tables) {
    lines.push(rest[position] ?? '');
    position += 1;
    const rows = rest
      .slice(position, position + table.rows)
      .map((line) => JSON.parse(line) as unknown[]);
    position += table.rows;
    const changed = change(table.name, table.columns, rows);
    const entry = COPIED_TABLES.find((candidate) => candidate.name === table.name);
    assert.ok(entry, table.name);
    const hasher = new TableHasher(table.name, table.columns, entry.timestamps);
    for (const row of changed) hasher.add(row);
    const checksum = hasher.finish();
    Object.assign(table, { rows: checksum.rows, sha256: checksum.sha256 });
    checksums.push(checksum);
    lines.push(...changed.map((row) => JSON.stringify(row)));
  }
  header.checksum = combineChecksums(checksums).sha256;
  const out = path.join(await scratchFolder(), 'rewritten.ndjson.gz');
  await writeFile(out, gzipSync([JSON.stringify(header), ...lines, ''].join('\n')));
  return out;
}

for (const engine of engines) {
  describe(`[${engine}] a backup or a copy from before an upgrade`, () => {
    let source: TestDatabase;
    let backup: string;
    let backupRun: CliResult;
    let reference: Record<string, string>;
    let referenceSearch: string[];

    /** A site at the latest schema with content of its own, to restore over. */
    async function siteAtLatest(): Promise<TestDatabase> {
      const site = await freshDatabase(engine);
      await withHandle(site.url, async (handle) => {
        await migrateToLatest(handle);
        await seedDemoContent(handle);
        await addUser(handle, 'already@example.org', 'editor');
      });
      return site;
    }

    before(async () => {
      source = await freshDatabase(engine);
      await withHandle(source.url, async (handle) => {
        await migrateToLatest(handle);
        await seedDemoContent(handle);
      });
      reference = await exportSite(source.url);
      const [found = ''] = await renderPages(source.url, ['/search?q=tenants']);
      referenceSearch = searchResults(found);
      // The site as a release from before those migrations held it: reverted, content kept.
      await withHandle(source.url, (handle) => migrateTo(handle, OLD_LEVEL));
      backup = path.join(await scratchFolder(), 'before-upgrade.ndjson.gz');
      backupRun = await runCli(['backup', backup], { DATABASE_URL: source.url });
    });

    test('the backup records the older schema and holds only the tables it had', async () => {
      assert.equal(backupRun.code, 0, backupRun.stderr);
      assert.match(backupRun.stdout, new RegExp(`schema ${OLD_LEVEL}\\.`));
      const header = await readBackupHeader(backup);
      assert.equal(header.migrations.at(-1), OLD_LEVEL);
      const tables = header.tables.map((table) => table.name);
      assert.ok(tables.includes('statements'));
      assert.ok(!tables.includes('webhooks'), 'webhooks came with a later migration');
      assert.equal((await appliedMigrations(source.url)).at(-1), OLD_LEVEL, 'only read');
    });

    test('restore into an empty database takes the rows at that schema, then migrates to the latest', async () => {
      const target = await freshDatabase(engine);
      const result = await runCli(['restore', backup], { DATABASE_URL: target.url });
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        new RegExp(`Schema brought to the backup's level, ${OLD_LEVEL}, to take its rows: `),
      );
      assert.match(result.stdout, /Then migrated to the latest schema: 0008-webhooks, /);
      assert.deepEqual(await appliedMigrations(target.url), knownMigrations());
      assert.deepEqual(await exportSite(target.url), reference);
      const [found = ''] = await renderPages(target.url, ['/search?q=tenants']);
      assert.ok(referenceSearch.length > 0);
      assert.deepEqual(searchResults(found), referenceSearch, 'the search index was built');
    });

    test('restore --force over a site at the latest schema replaces it and ends at the latest', async () => {
      const target = await siteAtLatest();
      const result = await runCli(['restore', backup, '--force'], { DATABASE_URL: target.url });
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        new RegExp(`Schema taken back to the backup's level, ${OLD_LEVEL}`),
      );
      assert.deepEqual(await appliedMigrations(target.url), knownMigrations());
      assert.deepEqual(await exportSite(target.url), reference);
      const users = await withHandle(target.url, (handle) => count(handle.db, 'users'));
      assert.equal(users, 0, "the target's own account went with its content");
    });

    test('all or nothing: a row refused after the schema was moved leaves the target as it was', async () => {
      // A signatory of an organisation that does not exist, in a file whose checksum still holds.
      const broken = await rewrittenBackup(backup, (table, columns, rows) => {
        if (table !== 'statement_signatories') return rows;
        const stray = [...(rows.at(-1) ?? [])];
        stray[columns.indexOf('organisation_id')] = 999_999;
        return [...rows.slice(0, -1), stray];
      });
      const site = await siteAtLatest();
      const before = await exportSite(site.url);
      const counts = await tableCounts(site.url);
      const result = await runCli(['restore', broken, '--force'], { DATABASE_URL: site.url });
      assertOneLineFailure(
        result,
        1,
        /^Writing statement_signatories into .* failed, so nothing was written/,
      );
      assert.deepEqual(await appliedMigrations(site.url), knownMigrations(), 'schema as it was');
      assert.deepEqual(await tableCounts(site.url), counts);
      assert.deepEqual(await exportSite(site.url), before);

      const empty = await freshDatabase(engine);
      const intoEmpty = await runCli(['restore', broken], { DATABASE_URL: empty.url });
      assertOneLineFailure(intoEmpty, 1, /^Writing statement_signatories into .* failed/);
      assert.deepEqual(await siteTablesOf(empty.url), [], 'no schema was left behind');
      assert.deepEqual(await appliedMigrations(empty.url), []);
    });

    test('copy from the older database moves the target the same way', async () => {
      const target = await freshDatabase(otherEngine(engine));
      const result = await runCli(['copy', '--from', source.url, '--to', target.url]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        new RegExp(`Schema brought to the source's level, ${OLD_LEVEL}, to take its rows: `),
      );
      assert.equal((await appliedMigrations(source.url)).at(-1), OLD_LEVEL, 'only read');
      assert.deepEqual(await appliedMigrations(target.url), knownMigrations());
      assert.deepEqual(await exportSite(target.url), reference);
    });
  });
}

describe('bad input to copy, backup and restore', () => {
  let site: TestDatabase;
  let folder: string;
  let good: string;

  before(async () => {
    site = await freshDatabase('sqlite');
    folder = await scratchFolder();
    await withHandle(site.url, async (handle) => {
      await migrateToLatest(handle);
      await seedDemoContent(handle);
    });
    good = path.join(folder, 'good.ndjson.gz');
    const made = await runCli(['backup', good], { DATABASE_URL: site.url });
    assert.equal(made.code, 0, made.stderr);
  });

  /** A copy of the good backup with its decompressed lines changed. */
  async function altered(name: string, change: (lines: string[]) => string[]): Promise<string> {
    const lines = gunzipSync(await readFile(good))
      .toString('utf8')
      .split('\n');
    const file = path.join(folder, name);
    await writeFile(file, gzipSync(change(lines).join('\n')));
    return file;
  }

  /** Restores into a new SQLite file and checks that nothing was written there. */
  async function refusedRestore(file: string, pattern: RegExp, code = 1): Promise<void> {
    const target = path.join(await scratchFolder(), 'target.db');
    const result = await runCli(['restore', file], { DATABASE_URL: `sqlite:${target}` });
    assertOneLineFailure(result, code, pattern);
    const exists = await readFile(target).then(
      () => true,
      () => false,
    );
    if (exists) assert.deepEqual(await siteTablesOf(`sqlite:${target}`), [], 'no schema was left');
  }

  test('copy: missing or unknown flags are usage errors', async () => {
    const missing = await runCli(['copy', '--from', site.url]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /required option '--to <url>' not specified/);
    const unknown = await runCli([
      'copy',
      '--from',
      site.url,
      '--to',
      'sqlite:x.db',
      '--frobnicate',
    ]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option '--frobnicate'/);
    const help = await runCli(['copy', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: communique copy/m);
    assert.match(help.stdout, /Examples:\n {2}communique copy --from sqlite:/);
  });

  test('copy: a bad URL, a missing source or the same database twice', async () => {
    const target = path.join(folder, 'never.db');
    assertOneLineFailure(
      await runCli(['copy', '--from', 'mysql://root@127.0.0.1/x', '--to', `sqlite:${target}`]),
      2,
      /^--from has an unknown scheme "mysql:"/,
    );
    assertOneLineFailure(
      await runCli([
        'copy',
        '--from',
        `sqlite:${path.join(folder, 'nothing.db')}`,
        '--to',
        `sqlite:${target}`,
      ]),
      1,
      /^There is no SQLite database at .*nothing\.db \(--from\)/,
    );
    assertOneLineFailure(
      await runCli(['copy', '--from', site.url, '--to', site.url]),
      2,
      /^--from and --to name the same database/,
    );
    await assert.rejects(readFile(target), 'no target file was created');
  });

  test('backup: a missing argument, an existing file, a folder that cannot be written', async () => {
    const missing = await runCli(['backup'], { DATABASE_URL: site.url });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing required argument 'file'/);
    assertOneLineFailure(
      await runCli(['backup', good], { DATABASE_URL: site.url }),
      2,
      /already exists; pass --force to replace it/,
    );
    assertOneLineFailure(
      await runCli(['backup', path.join(folder, 'no', 'such', 'folder.gz')], {
        DATABASE_URL: site.url,
      }),
      1,
      /^Cannot write .*folder\.gz: ENOENT/,
    );
    const replaced = await runCli(['backup', good, '--force'], { DATABASE_URL: site.url });
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.deepEqual(
      (await readdir(folder)).filter((name) => name.includes('partial')),
      [],
      'no temporary file is left behind',
    );
  });

  test('restore: an unreadable file, a folder, or something that is not a backup', async () => {
    await refusedRestore(
      path.join(folder, 'missing.ndjson.gz'),
      /^Cannot read .*missing\.ndjson\.gz: ENOENT/,
    );
    await refusedRestore(folder, /is a folder, not a backup file/, 2);
    const text = path.join(folder, 'notes.txt');
    await writeFile(text, 'just some notes\n');
    await refusedRestore(text, /notes\.txt is damaged or incomplete \(incorrect header check\)/);
    const gzipped = path.join(folder, 'notes.gz');
    await writeFile(gzipped, gzipSync('{"hello":"world"}\n'));
    await refusedRestore(gzipped, /is not a Communiqué backup \(no "communique-backup" header\)/);
  });

  test('restore: a truncated file is refused', async () => {
    const bytes = await readFile(good);
    const truncated = path.join(folder, 'truncated.ndjson.gz');
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await refusedRestore(
      truncated,
      /truncated\.ndjson\.gz is damaged or incomplete \(unexpected end of file\)/,
    );
  });

  test('restore: a changed row, a removed row or an added row is refused', async () => {
    const changed = await altered('changed.ndjson.gz', (lines) => {
      const index = lines.indexOf('{"table":"organisations"}') + 1;
      const row = JSON.parse(lines[index] ?? '') as unknown[];
      row[2] = `${String(row[2])} (edited)`;
      return lines.map((line, position) => (position === index ? JSON.stringify(row) : line));
    });
    await refusedRestore(
      changed,
      /does not match its own checksum \(table organisations has 6 rows as expected but different content\)/,
    );
    const removed = await altered('removed.ndjson.gz', (lines) => {
      const index = lines.findIndex((line) => line.startsWith('{"table":"pages"}'));
      return lines.filter((_, position) => position !== index - 1);
    });
    await refusedRestore(
      removed,
      /removed\.ndjson\.gz is damaged: line \d+ (should start table|is not a row)/,
    );
    const added = await altered('added.ndjson.gz', (lines) => [...lines.slice(0, -1), '[1]', '']);
    await refusedRestore(added, /has more rows than its header counts/);
  });

  test('restore: a backup from a newer schema, with a gap in its migrations, or in a newer format, is refused', async () => {
    const withHeader = (name: string, change: (header: Record<string, unknown>) => void) =>
      altered(name, ([first = '', ...rest]) => {
        const header = JSON.parse(first) as Record<string, unknown>;
        change(header);
        return [JSON.stringify(header), ...rest];
      });
    const latest = knownMigrations().at(-1) ?? '';
    await refusedRestore(
      await withHeader('newer.ndjson.gz', (header) => {
        header.migrations = [...(header.migrations as string[]), '9999-from-the-future'];
      }),
      new RegExp(
        `newer\\.ndjson\\.gz has a newer schema \\(9999-from-the-future\\) than this Communiqué knows \\(its latest is ${latest}; unknown: 9999-from-the-future\\); upgrade Communiqué first\\. Nothing was written\\.$`,
      ),
    );
    await refusedRestore(
      await withHeader('gap.ndjson.gz', (header) => {
        header.migrations = (header.migrations as string[]).slice(1);
      }),
      /gap\.ndjson\.gz has migrations this Communiqué would not have applied in that order/,
    );
    await refusedRestore(
      await withHeader('format.ndjson.gz', (header) => {
        header.version = 2;
      }),
      /was written by a newer Communiqué \(backup format 2, this one reads 1\)/,
    );
  });

  test('restore into a site that has content needs --force', async () => {
    const result = await runCli(['restore', good], { DATABASE_URL: site.url });
    assertOneLineFailure(result, 1, /is not empty .*Pass --force to replace its content/);
    const forced = await runCli(['restore', good, '--force'], { DATABASE_URL: site.url });
    assert.equal(forced.code, 0, forced.stderr);
  });
});
