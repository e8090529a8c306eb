import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HtmlValidate } from 'html-validate';
import { attr, Dom, textOf } from './helpers/dom.ts';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

const validator = new HtmlValidate({
  extends: ['html-validate:recommended', 'html-validate:a11y'],
  rules: { 'no-raw-characters': 'off', 'long-title': 'off' },
});

for (const engine of await testEngines()) {
  describe(`[${engine}] the archive by year and month`, () => {
    let site: TestSite;
    before(async () => {
      site = await startTestSite(engine);
    });
    after(() => site?.close());

    test('the archive lists every year with its count, newest first', async () => {
      const dom = new Dom(await site.html('/archive'));
      assert.equal(dom.text('main h1'), 'Archive');
      const years = dom.all('.archive-periods li').map(textOf);
      assert.deepEqual(years, [
        '2026 (11 statements)',
        '2025 (18 statements)',
        '2024 (2 statements)',
      ]);
    });

    test('a year lists its months with counts in the site time zone', async () => {
      const dom = new Dom(await site.html('/archive/2025'));
      assert.equal(dom.text('main h1'), 'Statements from 2025');
      const months = dom
        .all('.archive-periods a')
        .map((link) => [textOf(link), attr(link, 'href')]);
      assert.ok(
        months.some(([label, href]) => label === 'September 2025' && href === '/archive/2025/09'),
        JSON.stringify(months),
      );
      const total = dom
        .all('.archive-periods .count')
        .map((count) => Number(/\d+/.exec(textOf(count))?.[0]))
        .reduce((sum, count) => sum + count, 0);
      assert.equal(
        total,
        18,
        'the months add up to the year; translations are listed in their own language',
      );
    });

    test('a month lists its statements like the front page', async () => {
      const dom = new Dom(await site.html('/archive/2025/09'));
      assert.equal(dom.text('main h1'), 'Statements from September 2025');
      const titles = dom.all('article .statement-title').map(textOf);
      assert.ok(titles.includes('Ramon Villareal is free'));
      assert.ok(dom.all('article .read-more a').length === titles.length);
    });

    test('years and months without statements, or malformed, are 404; bad pages are 400', async () => {
      for (const path of [
        '/archive/1999',
        '/archive/2025/13',
        '/archive/2025/1',
        '/archive/abcd',
        '/archive/2025/08/extra',
      ]) {
        assert.equal((await site.get(path)).status, 404, path);
      }
      assert.equal((await site.get('/archive/2025/09?page=0')).status, 400);
    });

    test('archive pages are valid HTML', async () => {
      for (const path of ['/archive', '/archive/2025', '/archive/2025/09']) {
        const report = await validator.validateString(await site.html(path));
        const messages = report.results.flatMap((result) =>
          result.messages.map((message) => `${message.ruleId}: ${message.message}`),
        );
        assert.deepEqual(messages, [], path);
      }
    });
  });
}
