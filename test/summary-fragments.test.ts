import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bumpContentVersion, writeSettings } from '../src/settings/index.ts';
import { Dom, textOf } from './helpers/dom.ts';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

const NEWEST = 'rosa-huamans-victory-belongs-to-every-domestic-worker';

/** The listed statements' titles and "read more" links of a listing page. */
function summaries(html: string) {
  const dom = new Dom(html);
  return dom.all('article.statement-summary').map((article) => ({
    heading: dom.one('.statement-title', article).name,
    title: textOf(dom.one('.statement-title', article)),
    readMore: textOf(dom.one('.read-more a', article)),
  }));
}

for (const engine of await testEngines()) {
  describe(`[${engine}] statement summaries on listings`, () => {
    let site: TestSite;

    before(async () => {
      site = await startTestSite(engine);
    });
    after(() => site.close());

    const contentChanged = async () => {
      await bumpContentVersion(site.handle.db);
      await site.app.refreshContent();
    };

    test('a listing rendered again, with its summaries reused, is the same page', async () => {
      for (const path of ['/', '/?page=2', '/es/', '/organisations/liffeyside-tenants']) {
        site.app.cache.clear();
        const first = await site.html(path);
        site.app.cache.clear();
        assert.equal(await site.html(path), first, path);
      }
    });

    test('each listing keeps its own heading level for the same statements', async () => {
      const front = summaries(await site.html('/'));
      const second = summaries(await site.html('/?page=2'));
      assert.ok(front.length > 0 && second.length > 0);
      assert.ok(front.every((summary) => summary.heading === 'h3'));
      assert.ok(second.every((summary) => summary.heading === 'h2'));
      const archive = new Dom(await site.html('/archive'));
      const year = archive.all('a[href^="/archive/"]')[0]?.attribs.href ?? '';
      const months = new Dom(await site.html(year)).all('a[href^="/archive/"]');
      const month = months.find((link) =>
        /^\/archive\/\d{4}\/\d{2}$/.test(link.attribs.href ?? ''),
      );
      assert.ok(month !== undefined, `${year} links to a month`);
      const monthSummaries = summaries(await site.html(month.attribs.href ?? ''));
      assert.ok(monthSummaries.length > 0);
      assert.ok(monthSummaries.every((summary) => summary.heading === 'h2'));
    });

    test('the same statement is summarised in each page language', async () => {
      const english = summaries(await site.html('/'));
      const spanish = summaries(await site.html('/es/'));
      assert.ok(english.every((summary) => summary.readMore.startsWith('Full statement')));
      assert.ok(
        spanish.every((summary) => summary.readMore.startsWith('Leer la declaración completa')),
      );
    });

    test('an edited title shows on every listing, even when the saved time stays the same', async () => {
      const before = await site.html('/');
      const row = await site.handle.db
        .selectFrom('statements')
        .select(['title', 'updated_at'])
        .where('slug', '=', NEWEST)
        .executeTakeFirstOrThrow();
      await site.handle.db
        .updateTable('statements')
        .set({
          title: 'Rosa Huamán wins: a victory for every domestic worker',
          updated_at: row.updated_at,
        })
        .where('slug', '=', NEWEST)
        .execute();
      await contentChanged();
      const titles = summaries(await site.html('/')).map((summary) => summary.title);
      assert.ok(
        titles.includes('Rosa Huamán wins: a victory for every domestic worker'),
        titles.join(' | '),
      );
      assert.ok(!titles.includes(row.title));
      await site.handle.db
        .updateTable('statements')
        .set({ title: row.title, updated_at: row.updated_at })
        .where('slug', '=', NEWEST)
        .execute();
      await contentChanged();
      assert.equal(await site.html('/'), before);
    });

    test("a site's own label is used in summaries as soon as it is saved", async () => {
      await writeSettings(site.handle.db, { labels: { full_statement: 'Read it all' } });
      await contentChanged();
      const changed = summaries(await site.html('/'));
      assert.ok(changed.length > 0);
      assert.ok(changed.every((summary) => summary.readMore.startsWith('Read it all')));
      await writeSettings(site.handle.db, { labels: {} });
      await contentChanged();
      assert.ok(
        summaries(await site.html('/')).every((summary) =>
          summary.readMore.startsWith('Full statement'),
        ),
      );
    });
  });
}
