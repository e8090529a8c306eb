import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseDatabaseUrl } from '../src/config.ts';
import { type DatabaseHandle, openDatabase } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { bumpContentVersion } from '../src/settings/index.ts';
import {
  countPublishedBetween,
  countPublishedStatements,
  type LanguageView,
  listPublishedBetween,
  listPublishedStatements,
} from '../src/statements/index.ts';
import { Dom, textOf } from './helpers/dom.ts';
import { createTestDatabase, type TestDatabase, testEngines } from './helpers/engines.ts';
import { organisationRow, statementRow } from './helpers/rows.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

// [slug, language, status, translation of, year, signed by organisation 1 or 2]
const STATEMENTS: [string, string, string, string | null, number, 1 | 2][] = [
  ['a-en', 'en', 'published', null, 2024, 1],
  ['a-es', 'es', 'published', 'a-en', 2024, 1],
  ['a-fr', 'fr', 'draft', 'a-en', 2024, 2],
  ['b-es', 'es', 'published', null, 2025, 2],
  ['b-en', 'en', 'published', 'b-es', 2025, 2],
  ['c-fr', 'fr', 'published', null, 2025, 1],
  ['c-ar', 'ar', 'published', 'c-fr', 2025, 1],
  ['d-tr', 'tr', 'published', null, 2024, 2],
  ['d-en', 'en', 'draft', 'd-tr', 2024, 2],
  ['e-en', 'en', 'draft', null, 2025, 1],
];

const VIEWS: LanguageView[] = ['en', 'es', 'fr', 'ar', 'tr', 'de'].flatMap((language) => [
  { language, includeUntranslated: true },
  { language, includeUntranslated: false },
]);

async function insertStatements(handle: DatabaseHandle): Promise<void> {
  const now = new Date('2025-12-01T00:00:00Z');
  await handle.db
    .insertInto('organisations')
    .values(
      [1, 2].map((id) => organisationRow(`organisation-${id}`, `Organisation ${id}`, 'IE', now)),
    )
    .execute();
  const ids = new Map<string, number>();
  for (const [index, [slug, language, status, of, year, organisation]] of STATEMENTS.entries()) {
    const publishedAt = new Date(Date.UTC(year, index % 12, 10 + index));
    const row = await handle.db
      .insertInto('statements')
      .values(
        statementRow(slug, {
          language,
          status,
          publishedAt,
          translationOfId: of === null ? null : (ids.get(of) ?? null),
          now,
        }),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.set(slug, row.id);
    await handle.db
      .insertInto('statement_signatories')
      .values({ statement_id: row.id, organisation_id: organisation, position: 0 })
      .execute();
  }
}

const name = (view: LanguageView) =>
  `${view.language}${view.includeUntranslated ? ' with untranslated originals' : ' only'}`;

for (const engine of await testEngines()) {
  describe(`[${engine}] published counts agree with the listings they count`, () => {
    let database: TestDatabase;
    let handle: DatabaseHandle;
    before(async () => {
      database = await createTestDatabase(engine);
      handle = await openDatabase(parseDatabaseUrl(database.url));
      await migrateToLatest(handle);
      await insertStatements(handle);
    });
    after(async () => {
      await handle?.close();
      await database?.drop();
    });

    test('every language view, with and without untranslated originals', async () => {
      const english = await listPublishedStatements(handle.db, {
        view: { language: 'en', includeUntranslated: true },
        limit: 100,
        offset: 0,
      });
      // b-es has a published English version; d-tr's English version is a draft.
      assert.deepEqual(english.map((statement) => statement.slug).sort(), [
        'a-en',
        'b-en',
        'c-fr',
        'd-tr',
      ]);
      for (const view of VIEWS) {
        const listed = await listPublishedStatements(handle.db, { view, limit: 100, offset: 0 });
        assert.equal(
          await countPublishedStatements(handle.db, undefined, view),
          listed.length,
          name(view),
        );
        for (const organisationId of [1, 2]) {
          const signed = await listPublishedStatements(handle.db, {
            view,
            organisationId,
            limit: 100,
            offset: 0,
          });
          assert.equal(
            await countPublishedStatements(handle.db, organisationId, view),
            signed.length,
            `${name(view)}, organisation ${organisationId}`,
          );
        }
      }
    });

    test('every period, in every view', async () => {
      for (const view of VIEWS) {
        for (const year of [2023, 2024, 2025]) {
          const from = new Date(Date.UTC(year, 0, 1));
          const to = new Date(Date.UTC(year + 1, 0, 1));
          const listed = await listPublishedBetween(handle.db, from, to, 100, 0, view);
          assert.equal(
            await countPublishedBetween(handle.db, from, to, view),
            listed.length,
            `${name(view)}, ${year}`,
          );
        }
      }
    });

    test('pages of a listing follow each other, newest first', async () => {
      const view = { language: 'es', includeUntranslated: true };
      const all = await listPublishedStatements(handle.db, { view, limit: 100, offset: 0 });
      const paged = [];
      for (let offset = 0; offset < all.length; offset += 2)
        paged.push(...(await listPublishedStatements(handle.db, { view, limit: 2, offset })));
      assert.deepEqual(
        paged.map((statement) => statement.slug),
        all.map((statement) => statement.slug),
      );
      const times = all.map((statement) => statement.publishedAt.getTime());
      assert.deepEqual(
        times,
        [...times].sort((a, b) => b - a),
      );
    });
  });

  describe(`[${engine}] counts kept per content version`, () => {
    let site: TestSite;
    before(async () => {
      site = await startTestSite(engine);
    });
    after(() => site?.close());

    const yearCount = async (year: string) => {
      const dom = new Dom(await site.html('/archive'));
      const entry = dom
        .all('.archive-periods li')
        .map(textOf)
        .find((text) => text.startsWith(year));
      return Number(/\((\d+)/.exec(entry ?? '')?.[1]);
    };

    test('the archive counts a statement published since they were read', async () => {
      const before = await yearCount('2025');
      const published = await site.handle.db
        .selectFrom('statements')
        .select('id')
        .where('status', '=', 'published')
        .where('published_at', '<', new Date('2025-01-01T00:00:00Z'))
        .orderBy('id')
        .executeTakeFirstOrThrow();
      // Moved to 2025 directly in the database, then announced as every write does.
      await site.handle.db
        .updateTable('statements')
        .set({ published_at: new Date('2025-06-15T12:00:00Z') })
        .where('id', '=', published.id)
        .execute();
      assert.equal(await yearCount('2025'), before, 'unchanged until the change is announced');
      await bumpContentVersion(site.handle.db);
      await site.app.refreshContent();
      assert.equal(await yearCount('2025'), before + 1);
    });
  });
}
