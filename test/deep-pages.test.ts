import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bumpContentVersion, readSettings } from '../src/settings/index.ts';
import { CHECKPOINT_SPAN } from '../src/site/listing-start.ts';
import {
  countPublishedStatements,
  type LanguageView,
  listPublishedStatements,
} from '../src/statements/index.ts';
import { Dom } from './helpers/dom.ts';
import { testEngines } from './helpers/engines.ts';
import { statementRow } from './helpers/rows.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

// Enough for two checkpoints past the first, with pages straddling each.
const ADDED = 2 * CHECKPOINT_SPAN + 150;
const DAY_MS = 24 * 3600 * 1000;

/** The statement links of a listing page, in order. */
function listedSlugs(html: string): string[] {
  const dom = new Dom(html);
  return dom
    .all('article.statement-summary .statement-title a')
    .map((link) => decodeURIComponent((link.attribs.href ?? '').replace(/^.*\/statements\//, '')));
}

for (const engine of await testEngines()) {
  describe(`[${engine}] deep front-page listings`, () => {
    let site: TestSite;
    let perPage = 0;

    before(async () => {
      site = await startTestSite(engine);
      const now = new Date();
      const rows = Array.from({ length: ADDED }, (_, index) =>
        statementRow(`deep-${index}`, {
          language: index % 7 === 0 ? 'es' : 'en',
          status: 'published',
          // Some share a publication time, so the id decides their order.
          publishedAt: new Date(now.getTime() - DAY_MS * 400 - Math.floor(index / 3) * 60_000),
          now,
        }),
      );
      await site.handle.db.transaction().execute(async (trx) => {
        for (let start = 0; start < rows.length; start += 200)
          await trx
            .insertInto('statements')
            .values(rows.slice(start, start + 200))
            .execute();
      });
      await bumpContentVersion(site.handle.db);
      await site.app.refreshContent();
      const first = await site.html('/');
      perPage = listedSlugs(first).length;
      assert.ok(perPage > 0);
    });
    after(() => site.close());

    /** What a language's front page lists, and how many, read straight from the database. */
    const viewOf = async (language: string) => {
      const settings = await readSettings(site.handle.db);
      const view: LanguageView = {
        language,
        includeUntranslated: settings.untranslated === 'original',
      };
      return {
        view,
        publishedCount: await countPublishedStatements(site.handle.db, undefined, view),
      };
    };

    test('every page past a checkpoint lists what counting from the newest lists', async () => {
      const state = await viewOf('en');
      const pages = Math.ceil(state.publishedCount / perPage);
      const span = CHECKPOINT_SPAN / perPage;
      const wanted = [span - 1, span, span + 1, 2 * span - 1, 2 * span, 2 * span + 1, pages];
      for (const page of wanted) {
        const expected = await listPublishedStatements(site.handle.db, {
          view: state.view,
          limit: perPage,
          offset: (page - 1) * perPage,
        });
        const shown = listedSlugs(await site.html(`/?page=${page}`));
        assert.deepEqual(
          shown,
          expected.map((statement) => statement.slug),
          `page ${page}`,
        );
      }
      // The Spanish view shows a different listing, with its own checkpoints.
      const spanish = listedSlugs(await site.html(`/es/?page=${span + 1}`));
      const spanishState = await viewOf('es');
      const spanishExpected = await listPublishedStatements(site.handle.db, {
        view: spanishState.view,
        limit: perPage,
        offset: span * perPage,
      });
      assert.deepEqual(
        spanish,
        spanishExpected.map((statement) => statement.slug),
      );
    });

    test('a page past the last is a 404 that names the last page', async () => {
      const state = await viewOf('en');
      const pages = Math.ceil(state.publishedCount / perPage);
      const response = await site.get(`/?page=${pages + 1}`);
      assert.equal(response.status, 404);
      assert.match(await response.text(), new RegExp(`${pages}`));
      assert.equal((await site.get('/?page=9999999')).status, 404);
    });

    test('a publish moves the deep pages with it', async () => {
      const before = listedSlugs(await site.html(`/?page=${CHECKPOINT_SPAN / perPage + 1}`));
      const now = new Date();
      await site.handle.db
        .insertInto('statements')
        .values(
          statementRow('deep-newest', {
            language: 'en',
            status: 'published',
            publishedAt: now,
            now,
          }),
        )
        .execute();
      await bumpContentVersion(site.handle.db);
      await site.app.refreshContent();
      const after = listedSlugs(await site.html(`/?page=${CHECKPOINT_SPAN / perPage + 1}`));
      assert.deepEqual(after.slice(1), before.slice(0, -1), 'every entry moved one place down');
    });
  });
}
