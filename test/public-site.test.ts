import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Element } from 'domhandler';
import { attr, Dom, textOf } from './helpers/dom.ts';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

const LONG_DATE =
  /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) ([1-9]|[12][0-9]|3[01])(st|nd|rd|th) (January|February|March|April|May|June|July|August|September|October|November|December) 20\d\d$/;

for (const engine of await testEngines()) {
  describe(`[${engine}] public site`, () => {
    let site: TestSite;
    before(async () => {
      site = await startTestSite(engine);
    });
    after(() => site?.close());

    test('the front page has the exact shape: title, intro, Find out more, then statements', async () => {
      const dom = new Dom(await site.html('/'));
      assert.equal(dom.text('main h1'), 'The Wider Table');
      assert.match(
        dom.text('.intro-text'),
        /^The Wider Table is a network of grassroots organisations/,
      );
      const about = dom.one('.intro a[href="/about"]');
      assert.equal(textOf(about), 'Find out more');
      const articles = dom.all('main article.statement-summary');
      assert.equal(articles.length, 10, 'ten statements per page by default');
      for (const article of articles) {
        const titleLink = dom.one('.statement-title a', article);
        assert.match(attr(titleLink, 'href') ?? '', /^\/statements\/[a-z0-9-]+$/);
        assert.match(dom.text('.statement-date', article), LONG_DATE);
        const more = dom.one('.read-more a', article);
        assert.equal(attr(more, 'href'), attr(titleLink, 'href'));
        assert.match(textOf(more), /^Full statement/);
      }
    });

    test('statements are newest first and the draft is never shown', async () => {
      const html = await site.html('/');
      const dom = new Dom(html);
      const dates = dom.all('main article time').map((time) => attr(time, 'datetime') ?? '');
      assert.deepEqual([...dates].sort().reverse(), dates);
      assert.equal(
        dom.text('main article .statement-title'),
        "Rosa Huamán's victory belongs to every domestic worker",
      );
      assert.doesNotMatch(html, /rental-standards-bill-consultation|Response to the consultation/);
      const draft = await site.get(
        '/statements/response-to-the-consultation-on-the-rental-standards-bill',
      );
      assert.equal(draft.status, 404);
    });

    test('long excerpts end in " ..." and short statements are shown whole without it', async () => {
      const all: Element[] = [];
      for (const page of [1, 2, 3, 4]) {
        const response = await site.get(page === 1 ? '/' : `/?page=${page}`);
        if (response.status !== 200) break;
        const dom = new Dom(await response.text());
        for (const article of dom.all('article.statement-summary'))
          all.push(article as unknown as Element);
      }
      const probe = new Dom('');
      const excerptOf = (slug: string) => {
        const article = (all as unknown as import('domhandler').Element[]).find(
          (candidate) => probe.all(`a[href="/statements/${slug}"]`, candidate).length > 0,
        );
        assert.ok(article, `${slug} is listed`);
        return probe.text('.excerpt', article);
      };
      const short = excerptOf('ramon-villareal-is-free');
      assert.ok(!short.endsWith(' ...'), 'a short statement gets no " ..."');
      assert.match(short, /That work continues\.$/);
      const long = excerptOf('the-orvane-coatings-settlement-is-not-justice');
      assert.ok(
        long.endsWith(' ...') || long.length < 400,
        'a long statement is cut or summarised',
      );
      const cut = excerptOf('after-the-karacamli-earthquake-what-solidarity-needs-now');
      assert.ok(cut.length > 0);
      const words = excerptOf('public-transport-is-a-public-good-a-joint-statement-on-fares');
      assert.ok(words.endsWith(' ...'));
      assert.ok(words.split(/\s+/).length <= 151, 'cut at about 150 words');
    });

    test('pagination: ?page=2 links back and forward with rel=prev/next', async () => {
      const dom = new Dom(await site.html('/?page=2'));
      assert.equal(dom.text('main h1'), 'Statements, page 2');
      assert.equal(attr(dom.one('.pagination a[rel="prev"]'), 'href'), '/');
      assert.equal(attr(dom.one('.pagination a[rel="next"]'), 'href'), '/?page=3');
      assert.equal(textOf(dom.one('.pagination a[rel="prev"]')), 'Newer');
      assert.equal(textOf(dom.one('.pagination a[rel="next"]')), 'Older');
      assert.equal(attr(dom.one('head link[rel="prev"]'), 'href'), '/');
      const first = new Dom(await site.html('/'));
      assert.equal(
        first.maybe('.pagination a[rel="prev"]'),
        null,
        'the first page has no newer link',
      );
    });

    test('bad page numbers get a themed 400 and pages past the end a themed 404, never a 500', async () => {
      for (const query of ['0', '-1', 'abc', '1.5', '', '99999999999']) {
        const response = await site.get(`/?page=${query}`);
        assert.equal(response.status, 400, `?page=${query}`);
        const dom = new Dom(await response.text());
        assert.equal(dom.text('main h1'), 'That address is not valid');
        assert.match(dom.text('main'), /whole number from 1 upwards/);
      }
      const past = await site.get('/?page=50');
      assert.equal(past.status, 404);
      assert.match(new Dom(await past.text()).text('main'), /There are only 4 pages of statements/);
      const organisationPast = await site.get('/organisations/liffeyside-tenants?page=9');
      assert.equal(organisationPast.status, 404);
    });

    test('a statement page shows its signatories in order with their countries, and its translations', async () => {
      const dom = new Dom(
        await site.html('/statements/after-the-karacamli-earthquake-what-solidarity-needs-now'),
      );
      assert.equal(
        dom.text('article.statement h1'),
        'After the Karaçamlı earthquake: what solidarity needs now',
      );
      assert.match(dom.text('article.statement .statement-date'), LONG_DATE);
      const signatories = dom.all('.signatories li').map(textOf);
      assert.equal(signatories.length, 6);
      assert.ok(
        signatories.some((line) => line === 'Emek Dayanışma Derneği (Türkiye)'),
        signatories.join(' | '),
      );
      assert.ok(signatories.some((line) => line.endsWith('(Lebanon)')));
      const translation = dom.one('.translations a[hreflang="ar"]');
      assert.equal(
        attr(translation, 'href'),
        '/ar/statements/bad-zilzal-karatshamli-ma-yahtajuhu-al-tadamun-al-an',
      );
      assert.equal(textOf(translation), 'العربية');
      assert.ok(dom.all('.statement-body p').length >= 3, 'the whole body is shown');
      assert.ok(dom.maybe('.neighbours a[rel="prev"]') || dom.maybe('.neighbours a[rel="next"]'));
    });

    test('a translated statement links its versions with hreflang, x-default being the original', async () => {
      const dom = new Dom(
        await site.html('/statements/bad-zilzal-karatshamli-ma-yahtajuhu-al-tadamun-al-an'),
      );
      const alternates = dom
        .all('head link[rel="alternate"][hreflang]')
        .map((link) => `${attr(link, 'hreflang')} ${new URL(attr(link, 'href') ?? '').pathname}`);
      assert.deepEqual(alternates, [
        'ar /ar/statements/bad-zilzal-karatshamli-ma-yahtajuhu-al-tadamun-al-an',
        'en /statements/after-the-karacamli-earthquake-what-solidarity-needs-now',
        'x-default /statements/after-the-karacamli-earthquake-what-solidarity-needs-now',
      ]);
      const single = new Dom(await site.html('/statements/ramon-villareal-is-free'));
      assert.equal(
        single.all('head link[hreflang]').length,
        0,
        'no alternates without translations',
      );
    });

    test('an Arabic statement is marked right-to-left in its own language', async () => {
      const dom = new Dom(await site.html('/statements/nahr-al-safa-laysa-mukabban-lil-nufayat'));
      const article = dom.one('article.statement');
      assert.equal(attr(article, 'lang'), 'ar');
      assert.equal(attr(article, 'dir'), 'rtl');
      assert.equal(attr(dom.one('html'), 'lang'), 'en');
    });

    test('the about page is served from the pages table', async () => {
      const dom = new Dom(await site.html('/about'));
      assert.equal(dom.text('main h1'), 'About the network');
      assert.ok(dom.all('main h2').length >= 2);
      assert.equal(attr(dom.one('nav a[aria-current="page"]'), 'href'), '/about');
    });

    test('the organisations directory is grouped by country with names from Intl.DisplayNames', async () => {
      const dom = new Dom(await site.html('/organisations'));
      const countries = dom.all('.country-group h2').map(textOf);
      assert.deepEqual(countries, [
        'Chile',
        'Greece',
        'Ireland',
        'Lebanon',
        'Philippines',
        'Türkiye',
      ]);
      const ireland = dom.all('.country-group')[2];
      assert.ok(ireland);
      assert.equal(attr(dom.one('h3 a', ireland), 'href'), '/organisations/liffeyside-tenants');
      assert.ok(dom.all('.website a', ireland).length === 1);
    });

    test('an organisation page lists only the statements it signed', async () => {
      const dom = new Dom(await site.html('/organisations/steki-patras'));
      assert.equal(dom.text('main h1'), 'Στέκι Αλληλεγγύης Πάτρας');
      assert.equal(dom.text('dl.facts dd'), 'Greece');
      const links = dom
        .all('.organisation-statements .statement-title a')
        .map((link) => attr(link, 'href') ?? '');
      assert.ok(links.length >= 3);
      for (const href of links.slice(0, 3)) {
        const statement = new Dom(await site.html(href));
        const signatories = statement.all('.signatories a').map((link) => attr(link, 'href'));
        assert.ok(
          signatories.includes('/organisations/steki-patras'),
          `${href} is signed by Steki`,
        );
      }
    });

    test('unknown addresses get the themed 404 page with a real 404 status', async () => {
      for (const path of [
        '/nope',
        '/statements/no-such-statement',
        '/organisations/no-such-organisation',
        '/a/b/c',
      ]) {
        const response = await site.get(path);
        assert.equal(response.status, 404, path);
        assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
        const dom = new Dom(await response.text());
        assert.equal(dom.text('main h1'), 'Page not found');
        assert.equal(dom.text('.site-name'), 'The Wider Table');
      }
    });

    test('pages carry ETag, answer If-None-Match with 304, and send security headers', async () => {
      const first = await site.get('/organisations');
      const etag = first.headers.get('etag');
      assert.ok(etag);
      assert.match(first.headers.get('cache-control') ?? '', /public, max-age=\d+/);
      assert.match(first.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.doesNotMatch(first.headers.get('content-security-policy') ?? '', /script-src/);
      assert.equal(first.headers.get('x-content-type-options'), 'nosniff');
      const again = await site.get('/organisations', { 'if-none-match': etag });
      assert.equal(again.status, 304);
      assert.equal(await again.text(), '');
      const changed = await site.get('/organisations', { 'if-none-match': '"something-else"' });
      assert.equal(changed.status, 200);
    });

    test('a content change clears the page cache, so the next request shows it', async () => {
      const before = await site.html('/about');
      assert.ok(site.app.cache.size > 0);
      await site.handle.db
        .updateTable('pages')
        .set({ title: 'About The Wider Table' })
        .where('slug', '=', 'about')
        .execute();
      assert.equal(
        await site.html('/about'),
        before,
        'served from the cache until content changes',
      );
      const { bumpContentVersion } = await import('../src/settings/index.ts');
      await bumpContentVersion(site.handle.db);
      // The change is seen by this check or, on PostgreSQL, already by the LISTEN/NOTIFY listener.
      await site.app.refreshContent();
      const dom = new Dom(await site.html('/about'));
      assert.equal(dom.text('main h1'), 'About The Wider Table');
    });

    test('the stylesheet is served with a content version and is small', async () => {
      const dom = new Dom(await site.html('/'));
      const href = attr(dom.one('link[rel="stylesheet"]'), 'href') ?? '';
      assert.match(href, /^\/assets\/style\.css\?v=[0-9a-f]{10}$/);
      const css = await site.get(href);
      assert.equal(css.status, 200);
      assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
      assert.ok((await css.text()).length < 16_000);
    });

    test('the front page is light: under 30 KB', async () => {
      const html = await site.html('/');
      assert.ok(Buffer.byteLength(html) < 30_000, `${Buffer.byteLength(html)} bytes`);
      assert.doesNotMatch(html, /<script/i);
    });
  });
}
