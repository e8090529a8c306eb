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
  describe(`[${engine}] the site in every language it speaks`, () => {
    let site: TestSite;
    before(async () => {
      site = await startTestSite(engine);
    });
    after(() => site?.close());

    test('non-default languages live under their prefix, with the interface in that language', async () => {
      const dom = new Dom(await site.html('/es/'));
      const html = dom.one('html');
      assert.equal(attr(html, 'lang'), 'es');
      assert.equal(attr(html, 'dir'), 'ltr');
      assert.equal(dom.text('nav[aria-label] li:first-child a'), 'Declaraciones');
      assert.equal(attr(dom.one('.site-name a'), 'href'), '/es/');
      assert.equal(attr(dom.one('.intro a'), 'href'), '/es/about');
      const arabic = new Dom(await site.html('/ar/'));
      assert.equal(attr(arabic.one('html'), 'dir'), 'rtl');
      assert.equal(attr(arabic.one('html'), 'lang'), 'ar');
      assert.match(arabic.text('.statement-date'), /٢٠٢٦|2026/);
    });

    test("a language's front page lists its statements, and originals not translated into it with a note", async () => {
      const pages = [];
      for (let page = 1; page <= 4; page += 1)
        pages.push(await site.get(page === 1 ? '/es/' : `/es/?page=${page}`));
      const spanish = new Dom(
        (
          await Promise.all(
            pages.filter((response) => response.status === 200).map((response) => response.text()),
          )
        ).join(''),
      );
      const articles = spanish.all('article.statement-summary');
      const titles = articles.map((article) => spanish.text('.statement-title', article));
      assert.ok(
        !titles.includes('Domestic work is work: a joint statement for 8 March'),
        'the English original of a Spanish translation is not listed',
      );
      const spanishVersion = articles.find(
        (article) =>
          attr(article, 'lang') === undefined &&
          spanish.maybe('.untranslated-note', article) === null,
      );
      assert.ok(spanishVersion, 'Spanish statements have no note');
      const english = articles.find((article) => attr(article, 'lang') === 'en');
      assert.ok(english, 'untranslated English originals are shown');
      assert.match(
        spanish.text('.untranslated-note', english),
        /Aún sin traducir: se muestra en inglés\./,
      );
      const englishFront = new Dom(await site.html('/'));
      const englishTitles = englishFront.all('article .statement-title').map(textOf);
      assert.ok(
        !englishTitles.some((title) => /بعد زلزال/.test(title)),
        'translations are not listed on the English front page',
      );
    });

    test('the hide setting leaves untranslated statements out', async () => {
      await site.handle.db
        .insertInto('settings')
        .values({ key: 'untranslated', value: JSON.stringify('hide') })
        .execute();
      const { bumpContentVersion } = await import('../src/settings/index.ts');
      await bumpContentVersion(site.handle.db);
      await site.app.refreshContent();
      try {
        const spanish = new Dom(await site.html('/es/'));
        const languages = spanish
          .all('article.statement-summary')
          .map((article) => attr(article, 'lang') ?? 'es');
        assert.ok(languages.length >= 1);
        assert.deepEqual([...new Set(languages)], ['es']);
      } finally {
        await site.handle.db.deleteFrom('settings').where('key', '=', 'untranslated').execute();
        await bumpContentVersion(site.handle.db);
        await site.app.refreshContent();
      }
    });

    test('the language switcher links to the same statement in another language when it exists', async () => {
      const dom = new Dom(
        await site.html('/statements/after-the-karacamli-earthquake-what-solidarity-needs-now'),
      );
      const links = Object.fromEntries(
        dom
          .all('.language-switcher a')
          .map((link) => [attr(link, 'hreflang'), decodeURIComponent(attr(link, 'href') ?? '')]),
      );
      assert.equal(
        links.ar,
        '/language/ar?next=/ar/statements/bad-zilzal-karatshamli-ma-yahtajuhu-al-tadamun-al-an',
      );
      assert.equal(
        links.tr,
        '/language/tr?next=/tr/',
        'no Turkish version: the Turkish front page',
      );
      const about = new Dom(await site.html('/about'));
      const aboutLinks = about
        .all('.language-switcher a')
        .map((link) => decodeURIComponent(attr(link, 'href') ?? ''));
      assert.ok(aboutLinks.includes('/language/el?next=/el/about'));
    });

    test('choosing a language remembers it, and Accept-Language only decides a first visit to /', async () => {
      const first = await site.get('/', { 'accept-language': 'tr-TR,tr;q=0.9,en;q=0.5' });
      assert.equal(first.status, 302);
      assert.equal(first.headers.get('location'), '/tr/');
      assert.match(first.headers.get('vary') ?? '', /Accept-Language/);
      const english = await site.get('/', { 'accept-language': 'en-GB,en;q=0.9' });
      assert.equal(english.status, 200);
      const unknown = await site.get('/', { 'accept-language': 'ja' });
      assert.equal(unknown.status, 200);
      const choice = await site.get('/language/en?next=/');
      assert.equal(choice.status, 303);
      assert.equal(choice.headers.get('location'), '/');
      const cookie = (choice.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      assert.match(cookie, /^communique_lang=en$/);
      const chosen = await site.get('/', { 'accept-language': 'tr', cookie });
      assert.equal(chosen.status, 200, 'an explicit choice is never overridden');
      assert.equal((await site.get('/language/xx?next=/')).status, 404);
      const offsite = await site.get('/language/es?next=//evil.example/');
      assert.equal(offsite.headers.get('location'), '/es/', 'never redirects off the site');
    });

    test('pages carry hreflang alternates for every language and x-default', async () => {
      const dom = new Dom(await site.html('/organisations'));
      const alternates = dom
        .all('head link[rel="alternate"][hreflang]')
        .map((link) => `${attr(link, 'hreflang')} ${new URL(attr(link, 'href') ?? '').pathname}`);
      assert.deepEqual(alternates, [
        'en /organisations',
        'ar /ar/organisations',
        'es /es/organisations',
        'tr /tr/organisations',
        'el /el/organisations',
        'x-default /organisations',
      ]);
    });

    test('every page type is valid HTML in Arabic and Greek too', async () => {
      for (const path of [
        '/ar/',
        '/ar/statements/nahr-al-safa-laysa-mukabban-lil-nufayat',
        '/el/organisations',
        '/el/archive/2025',
        '/ar/search?q=tenants',
        '/es/nope',
      ]) {
        const response = await site.get(path);
        assert.ok(
          response.status === 200 || response.status === 404,
          `${path}: ${response.status}`,
        );
        const report = await validator.validateString(await response.text());
        const messages = report.results.flatMap((result) =>
          result.messages.map((message) => `${message.ruleId}: ${message.message}`),
        );
        assert.deepEqual(messages, [], path);
      }
      const notFound = new Dom(await (await site.get('/es/nope')).text());
      assert.equal(notFound.text('main h1'), 'Página no encontrada');
    });
  });
}
