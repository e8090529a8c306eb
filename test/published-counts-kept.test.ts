import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { parseDatabaseUrl } from '../src/config.ts';
import { type DatabaseHandle, openDatabase } from '../src/db/connect.ts';
import { migrateTo, migrateToLatest } from '../src/db/migrate.ts';
import { bumpContentVersion } from '../src/settings/index.ts';
import { periodBounds } from '../src/site/archive-periods.ts';
import {
  countPublishedBetween,
  countPublishedStatements,
  type LanguageView,
  listPublishedBetween,
  listPublishedStatements,
} from '../src/statements/index.ts';
import { publishDueStatements } from '../src/statements/statement-service.ts';
import { Dom, textOf } from './helpers/dom.ts';
import { createTestDatabase, type TestDatabase, testEngines } from './helpers/engines.ts';
import { statementRow as minimalStatementRow, organisationRow } from './helpers/rows.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

const VIEWS: LanguageView[] = ['en', 'es', 'fr', 'ar'].flatMap((language) => [
  { language, includeUntranslated: true },
  { language, includeUntranslated: false },
]);

// UTC, London (summer hour), St John's (-3:30) and Kathmandu (+5:45): periods that start mid-hour.
const TIME_ZONES = ['UTC', 'Europe/London', 'America/St_Johns', 'Asia/Kathmandu'];

const name = (view: LanguageView) =>
  `${view.language}${view.includeUntranslated ? ' with untranslated originals' : ' only'}`;

/** Every count the pages show, against the listing it counts. */
async function assertCountsMatchListings(db: DatabaseHandle['db'], step: string): Promise<void> {
  for (const view of VIEWS) {
    const all = await listPublishedStatements(db, { view, limit: 1000, offset: 0 });
    assert.equal(
      await countPublishedStatements(db, undefined, view),
      all.length,
      `${step}: ${name(view)}`,
    );
    for (const organisationId of [1, 2, 3]) {
      const signed = await listPublishedStatements(db, {
        view,
        organisationId,
        limit: 1000,
        offset: 0,
      });
      assert.equal(
        await countPublishedStatements(db, organisationId, view),
        signed.length,
        `${step}: ${name(view)}, organisation ${organisationId}`,
      );
    }
    for (const timeZone of TIME_ZONES) {
      for (const [year, month] of [
        [2024, null],
        [2025, null],
        [2025, 3],
        [2025, 4],
        [2025, 7],
      ] as const) {
        const { from, to } = periodBounds(timeZone, year, month);
        const listed = await listPublishedBetween(db, from, to, 1000, 0, view);
        assert.equal(
          await countPublishedBetween(db, from, to, view),
          listed.length,
          `${step}: ${name(view)}, ${year}-${month ?? ''} in ${timeZone}`,
        );
      }
    }
  }
  assert.equal(await countPublishedStatements(db), (await countAll(db)).published, step);
}

async function countAll(db: DatabaseHandle['db']): Promise<{ published: number }> {
  const row = await db
    .selectFrom('statements')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('status', '=', 'published')
    .executeTakeFirstOrThrow();
  return { published: Number(row.count) };
}

const NOW = new Date('2025-12-01T00:00:00Z');

function statementRow(
  slug: string,
  language: string,
  status: string,
  publishedAt: string,
  translationOfId: number | null = null,
) {
  return minimalStatementRow(slug, {
    language,
    status,
    publishedAt: new Date(publishedAt),
    translationOfId,
    now: NOW,
  });
}

for (const engine of await testEngines()) {
  describe(`[${engine}] kept counts stay exact through every kind of write`, () => {
    let database: TestDatabase;
    let handle: DatabaseHandle;
    const ids = new Map<string, number>();
    const id = (slug: string) => {
      const found = ids.get(slug);
      if (found === undefined) throw new Error(`no statement ${slug}`);
      return found;
    };
    const update = (slug: string) => handle.db.updateTable('statements').where('id', '=', id(slug));

    before(async () => {
      database = await createTestDatabase(engine);
      handle = await openDatabase(parseDatabaseUrl(database.url));
      await migrateToLatest(handle);
      await handle.db
        .insertInto('organisations')
        .values(
          [1, 2, 3].map((number) =>
            organisationRow(`organisation-${number}`, `Organisation ${number}`, 'IE', NOW),
          ),
        )
        .execute();
    });
    after(async () => {
      await handle?.close();
      await database?.drop();
    });

    test('inserts, one by one and many in one statement', async () => {
      const originals = await handle.db
        .insertInto('statements')
        .values([
          statementRow('a', 'en', 'published', '2025-03-31T23:30:00Z'),
          statementRow('b', 'es', 'published', '2025-04-01T02:00:00Z'),
          statementRow('c', 'fr', 'published', '2024-12-31T23:10:00Z'),
          statementRow('d', 'en', 'draft', '2025-07-15T12:00:00Z'),
          statementRow('e', 'ar', 'published', '2025-06-30T23:50:00Z'),
        ])
        .returning(['id', 'slug'])
        .execute();
      for (const row of originals) ids.set(row.slug, row.id);
      // Translations inserted together, two of them into one language for the same original.
      const translations = await handle.db
        .insertInto('statements')
        .values([
          statementRow('a-es', 'es', 'published', '2025-04-02T10:00:00Z', id('a')),
          statementRow('a-es-2', 'es', 'published', '2025-04-03T10:00:00Z', id('a')),
          statementRow('a-fr', 'fr', 'draft', '2025-04-02T10:00:00Z', id('a')),
          statementRow('b-en', 'en', 'published', '2025-04-01T03:00:00Z', id('b')),
          statementRow('c-en', 'en', 'published', '2025-01-02T00:00:00Z', id('c')),
          statementRow('e-fr', 'fr', 'published', '2025-07-01T00:00:00Z', id('e')),
        ])
        .returning(['id', 'slug'])
        .execute();
      for (const row of translations) ids.set(row.slug, row.id);
      await handle.db
        .insertInto('statement_signatories')
        .values(
          [...ids.entries()].map(([slug, statementId], index) => ({
            statement_id: statementId,
            organisation_id: slug.startsWith('a') ? 1 : (index % 2) + 2,
            position: 0,
          })),
        )
        .execute();
      await handle.db
        .insertInto('statement_signatories')
        .values({ statement_id: id('a'), organisation_id: 3, position: 1 })
        .execute();
      await assertCountsMatchListings(handle.db, 'inserted');
    });

    test('unpublishing and publishing again, one and many at once', async () => {
      await update('a-es').set({ status: 'draft' }).execute();
      await assertCountsMatchListings(handle.db, 'one of two Spanish versions unpublished');
      await update('a-es-2').set({ status: 'draft' }).execute();
      await assertCountsMatchListings(handle.db, 'both Spanish versions unpublished');
      await handle.db
        .updateTable('statements')
        .set({ status: 'published' })
        .where('slug', 'in', ['a-es', 'a-es-2', 'a-fr', 'd'])
        .execute();
      await assertCountsMatchListings(handle.db, 'four published in one statement');
      await handle.db
        .updateTable('statements')
        .set({ status: 'draft' })
        .where('translation_of_id', '=', id('a'))
        .execute();
      await assertCountsMatchListings(handle.db, 'every version of a unpublished at once');
      await handle.db
        .updateTable('statements')
        .set({ status: 'published' })
        .where('translation_of_id', '=', id('a'))
        .execute();
      await assertCountsMatchListings(handle.db, 'every version of a published again');
    });

    test('changes of language, date and original', async () => {
      await update('b-en').set({ language: 'ar' }).execute();
      await assertCountsMatchListings(handle.db, 'b-en now Arabic');
      await update('b').set({ language: 'en' }).execute();
      await assertCountsMatchListings(handle.db, 'b now English');
      await update('a')
        .set({ published_at: new Date('2024-06-30T22:00:00Z') })
        .execute();
      await assertCountsMatchListings(handle.db, 'a moved to 2024');
      await update('c')
        .set({ published_at: new Date('2025-07-31T23:59:00Z') })
        .execute();
      await assertCountsMatchListings(handle.db, 'c moved to the end of July (UTC)');
      await update('c-en')
        .set({ translation_of_id: id('e') })
        .execute();
      await assertCountsMatchListings(handle.db, 'c-en now a version of e');
      await update('e-fr').set({ translation_of_id: null }).execute();
      await assertCountsMatchListings(handle.db, 'e-fr now an original');
      await update('e-fr')
        .set({ translation_of_id: id('e') })
        .execute();
      await assertCountsMatchListings(handle.db, 'e-fr a version of e again');
    });

    test('changes of signatories', async () => {
      await handle.db
        .deleteFrom('statement_signatories')
        .where('statement_id', '=', id('a'))
        .where('organisation_id', '=', 1)
        .execute();
      await assertCountsMatchListings(handle.db, 'organisation 1 no longer signs a');
      await handle.db
        .updateTable('statement_signatories')
        .set({ organisation_id: 1 })
        .where('statement_id', 'in', [id('b'), id('e')])
        .execute();
      await assertCountsMatchListings(handle.db, 'b and e now signed by organisation 1');
      await handle.db
        .insertInto('statement_signatories')
        .values({ statement_id: id('b'), organisation_id: 3, position: 1 })
        .execute();
      await assertCountsMatchListings(handle.db, 'organisation 3 signs b too');
    });

    test('deleting translations and originals that have them', async () => {
      await handle.db.deleteFrom('statements').where('id', '=', id('a-es')).execute();
      await assertCountsMatchListings(handle.db, 'a-es deleted');
      await handle.db.deleteFrom('statements').where('id', '=', id('a')).execute();
      await assertCountsMatchListings(handle.db, 'a deleted: its versions become originals');
      await handle.db
        .deleteFrom('statements')
        .where('id', 'in', [id('e'), id('e-fr'), id('c-en')])
        .execute();
      await assertCountsMatchListings(handle.db, 'e and its versions deleted together');
    });

    test('scheduled statements counted when the scheduler publishes them', async () => {
      const scheduled = await handle.db
        .insertInto('statements')
        .values([
          statementRow('f', 'en', 'scheduled', '2025-11-30T12:00:00Z'),
          statementRow('g', 'es', 'scheduled', '2099-01-01T00:00:00Z'),
        ])
        .returning(['id', 'slug'])
        .execute();
      for (const row of scheduled) ids.set(row.slug, row.id);
      await handle.db
        .insertInto('statement_signatories')
        .values({ statement_id: id('f'), organisation_id: 2, position: 0 })
        .execute();
      const before = await countPublishedStatements(handle.db);
      await assertCountsMatchListings(handle.db, 'scheduled, not yet due');
      assert.equal(await publishDueStatements(handle, NOW), 1);
      assert.equal(await countPublishedStatements(handle.db), before + 1);
      await assertCountsMatchListings(handle.db, 'scheduled statement published');
    });

    test('the kept counts are those a recount from scratch gives', async () => {
      const kept = await sql<{
        bucket: string;
        language: string;
        published: number;
      }>`select bucket, language, published, originals, translated from published_counts
        where published <> 0 or originals <> 0 or translated <> 0 order by bucket, language`.execute(
        handle.db,
      );
      // Down to before 0013 and up again rebuilds the counts from the statements themselves.
      await migrateTo(handle, '0012-listing-indexes');
      await migrateToLatest(handle);
      const rebuilt = await sql`select bucket, language, published, originals, translated
        from published_counts order by bucket, language`.execute(handle.db);
      assert.deepEqual(
        rebuilt.rows.map((row) => JSON.stringify(row)),
        kept.rows.map((row) => JSON.stringify(row)),
      );
    });
  });

  describe(`[${engine}] archive pages after writes`, () => {
    let site: TestSite;
    before(async () => {
      site = await startTestSite(engine);
    });
    after(() => site?.close());

    const periodCount = async (path: string, label: string) => {
      const dom = new Dom(await site.html(path));
      const entry = dom
        .all('.archive-periods li')
        .map(textOf)
        .find((text) => text.startsWith(label));
      return entry === undefined ? 0 : Number(/\((\d+)/.exec(entry)?.[1]);
    };
    const announce = async () => {
      await bumpContentVersion(site.handle.db);
      await site.app.refreshContent();
    };

    test('a scheduled statement, an unpublished one and a deleted one change the counts shown', async () => {
      const published = await site.handle.db
        .selectFrom('statements')
        .select(['id', 'published_at'])
        .where('status', '=', 'published')
        // English, the default language: each shows on the English archive whatever else is published.
        .where('language', '=', 'en')
        // Without versions, which would show in its place once it is gone.
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('statements as version')
                .select('version.id')
                .whereRef('version.translation_of_id', '=', 'statements.id'),
            ),
          ),
        )
        .orderBy('id')
        .limit(2)
        .execute();
      const [first, second] = published;
      assert.ok(first !== undefined && second !== undefined);
      const year = String(new Date(first.published_at).getUTCFullYear());
      const before = await periodCount('/archive', year);
      assert.ok(before > 0);

      // Unpublished: the year counts one fewer once the change is announced.
      await site.handle.db
        .updateTable('statements')
        .set({ status: 'draft' })
        .where('id', '=', first.id)
        .execute();
      await announce();
      assert.equal(await periodCount('/archive', year), before - 1);

      // Scheduled for a moment past, then published by the scheduler.
      await site.handle.db
        .updateTable('statements')
        .set({ status: 'scheduled' })
        .where('id', '=', first.id)
        .execute();
      await publishDueStatements(site.handle, new Date());
      await announce();
      assert.equal(await periodCount('/archive', year), before);

      // Deleted.
      const secondYear = String(new Date(second.published_at).getUTCFullYear());
      const secondBefore = await periodCount('/archive', secondYear);
      await site.handle.db.deleteFrom('statements').where('id', '=', second.id).execute();
      await announce();
      assert.equal(await periodCount('/archive', secondYear), secondBefore - 1);
    });
  });
}
