import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import Fastify from 'fastify';
import { HtmlValidate } from 'html-validate';
import { renderMarkdown } from '../src/content/markdown.ts';
import { toDate } from '../src/db/database.ts';
import { bumpContentVersion } from '../src/settings/index.ts';
import { scriptSafeJson } from '../src/site/news-article-json-ld.ts';
import { PageCache } from '../src/site/page-cache.ts';
import { shortenText } from '../src/site/plain-text.ts';
import { SiteStateStore } from '../src/site/site-state.ts';
import { registerSitemapRoutes } from '../src/site/sitemap-routes.ts';
import { escapeXml, renderUrlSet } from '../src/site/sitemap-xml.ts';
import { Theme } from '../src/site/theme.ts';
import { attr, Dom } from './helpers/dom.ts';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

const BASE = 'https://wider-table.example';
const LANGUAGES = ['en', 'ar', 'es', 'tr', 'el'];
const KARACAMLI = 'after-the-karacamli-earthquake-what-solidarity-needs-now';
const KARACAMLI_AR = 'bad-zilzal-karatshamli-ma-yahtajuhu-al-tadamun-al-an';
const DRAFT = 'response-to-the-consultation-on-the-rental-standards-bill';
const HOSTILE_SLUG = `a&b<c>"d'e]]>`;
const HOSTILE_TITLE = '</script><script>alert(1)</script> & <!-- "quoted" \u2028';

const validator = new HtmlValidate({
  extends: ['html-validate:recommended', 'html-validate:a11y'],
  rules: { 'no-raw-characters': 'off', 'long-title': 'off' },
});

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  isArray: (name) => ['url', 'sitemap', 'xhtml:link'].includes(name),
});

interface UrlEntry {
  loc: string;
  lastmod: string | undefined;
  /** hreflang → href, in document order. */
  alternates: [string, string][];
}

interface ParsedUrlSet {
  urlset?: {
    url?: {
      loc: string;
      lastmod?: string;
      'xhtml:link'?: { rel: string; hreflang: string; href: string }[];
    }[];
  };
  sitemapindex?: { sitemap?: { loc: string; lastmod?: string }[] };
}

/** Parses a sitemap strictly: a document that is not well-formed XML fails here. */
function parseSitemap(text: string): ParsedUrlSet {
  const valid = XMLValidator.validate(text);
  assert.equal(valid, true, JSON.stringify(valid));
  return xml.parse(text) as ParsedUrlSet;
}

function urlEntries(text: string): UrlEntry[] {
  const parsed = parseSitemap(text);
  assert.ok(parsed.urlset, 'a <urlset> document');
  return (parsed.urlset.url ?? []).map((url) => ({
    loc: url.loc,
    lastmod: url.lastmod,
    alternates: (url['xhtml:link'] ?? []).map((link) => {
      assert.equal(link.rel, 'alternate');
      return [link.hreflang, link.href];
    }),
  }));
}

function byLoc(entries: UrlEntry[]): Map<string, UrlEntry> {
  const map = new Map(entries.map((entry) => [entry.loc, entry]));
  assert.equal(map.size, entries.length, 'no URL is listed twice');
  return map;
}

function statementLoc(slug: string, language: string): string {
  const prefix = language === 'en' || !LANGUAGES.includes(language) ? '' : `/${language}`;
  return `${BASE}${prefix}/statements/${encodeURIComponent(slug)}`;
}

function meta(dom: Dom, key: string): string | undefined {
  const element =
    dom.maybe(`head meta[property="${key}"]`) ?? dom.maybe(`head meta[name="${key}"]`);
  return element === null ? undefined : attr(element, 'content');
}

function metaAll(dom: Dom, key: string): string[] {
  return dom.all(`head meta[property="${key}"]`).map((element) => attr(element, 'content') ?? '');
}

function canonicalOf(dom: Dom): string | undefined {
  const link = dom.maybe('head link[rel="canonical"]');
  return link === null ? undefined : attr(link, 'href');
}

async function validationMessages(html: string): Promise<string[]> {
  const report = await validator.validateString(html);
  return report.results.flatMap((result) =>
    result.messages.map(
      (message) => `${message.line}:${message.column} ${message.ruleId}: ${message.message}`,
    ),
  );
}

describe('escaping for sitemaps and JSON-LD', () => {
  test('hostile text survives XML escaping exactly, and characters XML cannot carry are dropped', () => {
    const kept = `<loc>&amp;</loc>"' ]]> <![CDATA[x]]> x \uD83D\uDE00`;
    const hostile = `<loc>&amp;</loc>"'\u0000\u0008\uFFFE ]]> <![CDATA[x]]> \uD800x \uD83D\uDE00`;
    const document = renderUrlSet([
      { loc: hostile, lastmod: null, alternates: [{ hreflang: `"x'`, href: hostile }] },
    ]);
    const [entry] = urlEntries(document);
    assert.equal(entry?.loc, kept);
    assert.deepEqual(entry?.alternates, [[`"x'`, kept]]);
    assert.equal(escapeXml('a&b'), 'a&amp;b');
    assert.doesNotMatch(escapeXml(hostile), /[<>"']|&(?!(amp|lt|gt|quot|apos);)/);
  });

  test('script-safe JSON has no "<" at all and parses back to the same value', () => {
    const value = { headline: HOSTILE_TITLE, other: '<!--<script>' };
    const json = scriptSafeJson(value);
    assert.doesNotMatch(json, /[<>&\u2028\u2029]/);
    assert.deepEqual(JSON.parse(json), value);
  });

  test('descriptions are cut at a word and stay within the limit, ellipsis included', () => {
    const text = 'word '.repeat(100).trim();
    const short = shortenText(text, 160);
    assert.ok(short.length <= 160, `${short.length} characters`);
    assert.match(short, /^(word )+word…$/);
    assert.equal(shortenText('short enough', 160), 'short enough');
  });
});

for (const engine of await testEngines()) {
  describe(`[${engine}] search-engine and sharing metadata`, () => {
    let site: TestSite;
    /** Published statements from the database: the truth the sitemap is checked against. */
    const published = async () =>
      (
        await site.handle.db
          .selectFrom('statements')
          .select(['id', 'slug', 'language', 'updated_at', 'published_at', 'status'])
          .where('status', '=', 'published')
          .execute()
      ).map((row) => ({
        ...row,
        updatedAt: toDate(row.updated_at),
        publishedAt: toDate(row.published_at),
      }));
    const contentChanged = async () => {
      await bumpContentVersion(site.handle.db);
      await site.app.refreshContent();
    };
    const addStatement = async (fields: {
      slug: string;
      title: string;
      bodyMd: string;
      updatedAt: Date;
      signatory: string;
    }) => {
      const organisation = await site.handle.db
        .selectFrom('organisations')
        .select('id')
        .where('slug', '=', fields.signatory)
        .executeTakeFirstOrThrow();
      const publishedAt = new Date('2025-12-01T09:00:00.000Z');
      const { id } = await site.handle.db
        .insertInto('statements')
        .values({
          slug: fields.slug,
          title: fields.title,
          body_md: fields.bodyMd,
          body_html: renderMarkdown(fields.bodyMd),
          summary_md: null,
          summary_html: null,
          language: 'en',
          status: 'published',
          published_at: publishedAt,
          translation_of_id: null,
          created_at: publishedAt,
          updated_at: fields.updatedAt,
          created_by: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await site.handle.db
        .insertInto('statement_signatories')
        .values({ statement_id: id, organisation_id: organisation.id, position: 0 })
        .execute();
      await contentChanged();
      return { id, publishedAt };
    };

    before(async () => {
      site = await startTestSite(engine, { env: { BASE_URL: BASE } });
    });
    after(() => site?.close());

    test('sitemap.xml lists every published statement at its own URL with its updated date, and no draft', async () => {
      const response = await site.get('/sitemap.xml');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/xml; charset=utf-8');
      const entries = byLoc(urlEntries(await response.text()));
      const statements = await published();
      assert.ok(statements.length >= 30);
      for (const statement of statements) {
        const entry = entries.get(statementLoc(statement.slug, statement.language));
        assert.ok(entry, `${statement.slug} is listed`);
        assert.equal(entry.lastmod, statement.updatedAt.toISOString(), statement.slug);
      }
      const statementLocs = [...entries.keys()].filter((loc) => loc.includes('/statements/'));
      assert.equal(statementLocs.length, statements.length, 'one URL per published statement');
      assert.ok(![...entries.keys()].some((loc) => loc.includes(DRAFT)), 'the draft is absent');
      for (const [loc, entry] of entries) {
        assert.ok(loc.startsWith(`${BASE}/`), `${loc} is absolute on BASE_URL`);
        assert.match(entry.lastmod ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, loc);
      }
    });

    test('translated statements and the front pages name each other with hreflang and x-default', async () => {
      const entries = byLoc(urlEntries(await (await site.get('/sitemap.xml')).text()));
      const english = statementLoc(KARACAMLI, 'en');
      const arabic = statementLoc(KARACAMLI_AR, 'ar');
      const expected: [string, string][] = [
        ['en', english],
        ['ar', arabic],
        ['x-default', english],
      ];
      assert.deepEqual(entries.get(english)?.alternates, expected);
      assert.deepEqual(entries.get(arabic)?.alternates, [
        ['ar', arabic],
        ['en', english],
        ['x-default', english],
      ]);
      assert.deepEqual(
        entries.get(statementLoc('fuel-poverty-is-a-housing-issue', 'en'))?.alternates,
        [],
        'a statement without translations has no alternates',
      );
      const fronts: [string, string][] = [
        ['en', `${BASE}/`],
        ['ar', `${BASE}/ar/`],
        ['es', `${BASE}/es/`],
        ['tr', `${BASE}/tr/`],
        ['el', `${BASE}/el/`],
        ['x-default', `${BASE}/`],
      ];
      const newest = Math.max(...(await published()).map((row) => row.updatedAt.getTime()));
      for (const [, loc] of fronts.slice(0, 5)) {
        assert.deepEqual(entries.get(loc)?.alternates, fronts, loc);
        assert.equal(entries.get(loc)?.lastmod, new Date(newest).toISOString(), loc);
      }
    });

    test('organisations, static pages and archive years are listed in every language', async () => {
      const entries = byLoc(urlEntries(await (await site.get('/sitemap.xml')).text()));
      const organisation = await site.handle.db
        .selectFrom('organisations')
        .select('updated_at')
        .where('slug', '=', 'nahr-association')
        .executeTakeFirstOrThrow();
      for (const prefix of ['', '/ar', '/es', '/tr', '/el']) {
        for (const path of [
          '/organisations',
          '/organisations/nahr-association',
          '/about',
          '/archive',
          '/archive/2025',
          '/archive/2026',
        ])
          assert.ok(entries.has(`${BASE}${prefix}${path}`), `${prefix}${path}`);
      }
      const nahr = entries.get(`${BASE}/es/organisations/nahr-association`);
      assert.ok(
        (nahr?.lastmod ?? '') >= toDate(organisation.updated_at).toISOString(),
        'an organisation changes no earlier than its own record',
      );
      assert.deepEqual(nahr?.alternates.at(-1), [
        'x-default',
        `${BASE}/organisations/nahr-association`,
      ]);
      assert.ok(![...entries.keys()].some((loc) => loc.includes('?page=')));
      assert.ok(![...entries.keys()].some((loc) => loc.includes('/search')));
      assert.equal(
        (await site.get('/sitemaps/1.xml')).status,
        404,
        'no parts while one file is enough',
      );
      assert.equal((await site.get('/es/sitemap.xml')).status, 404);
    });

    test('the sitemap is cached with an ETag, and renewed when content changes', async () => {
      const first = await site.get('/sitemap.xml');
      const etag = first.headers.get('etag') ?? '';
      assert.match(etag, /^".+"$/);
      const again = await site.get('/sitemap.xml', { 'if-none-match': etag });
      assert.equal(again.status, 304);
      const updatedAt = new Date('2026-02-03T04:05:06.789Z');
      await addStatement({
        slug: 'a-fresh-statement-for-the-sitemap',
        title: 'A fresh statement',
        bodyMd: 'Fresh.',
        updatedAt,
        signatory: 'steki-patras',
      });
      const renewed = await site.get('/sitemap.xml', { 'if-none-match': etag });
      assert.equal(renewed.status, 200);
      const entry = byLoc(urlEntries(await renewed.text())).get(
        statementLoc('a-fresh-statement-for-the-sitemap', 'en'),
      );
      assert.equal(entry?.lastmod, updatedAt.toISOString());
    });

    test('a hostile slug and title stay well-formed in the sitemap and inside the JSON-LD', async () => {
      const updatedAt = new Date('2026-03-04T05:06:07.089Z');
      const { publishedAt } = await addStatement({
        slug: HOSTILE_SLUG,
        title: HOSTILE_TITLE,
        bodyMd: 'A body with <b>markup</b> that is only text.',
        updatedAt,
        signatory: 'nahr-association',
      });
      const entries = byLoc(urlEntries(await (await site.get('/sitemap.xml')).text()));
      assert.equal(entries.get(statementLoc(HOSTILE_SLUG, 'en'))?.lastmod, updatedAt.toISOString());

      const response = await site.get(`/statements/${encodeURIComponent(HOSTILE_SLUG)}`);
      assert.equal(response.status, 200);
      const html = await response.text();
      const dom = new Dom(html);
      const scripts = dom.all('script');
      assert.equal(scripts.length, 1, 'the title opened no script of its own');
      assert.equal(attr(scripts[0] ?? dom.one('script'), 'type'), 'application/ld+json');
      const data = JSON.parse(dom.text('script[type="application/ld+json"]')) as Record<
        string,
        unknown
      >;
      assert.equal(data.headline, HOSTILE_TITLE);
      assert.equal(data.datePublished, publishedAt.toISOString());
      assert.equal(data.dateModified, updatedAt.toISOString());
      assert.equal(meta(dom, 'og:title'), HOSTILE_TITLE);
      assert.equal(
        dom.text('head title'),
        `${HOSTILE_TITLE} · The Wider Table`.replace(/\s+/g, ' ').trim(),
      );
      assert.deepEqual(await validationMessages(html), []);
      // JSON-LD is a data block, never run: the strict policy still forbids every script.
      const policy = response.headers.get('content-security-policy') ?? '';
      assert.match(policy, /default-src 'none'/);
      assert.doesNotMatch(policy, /script-src|unsafe-inline/);
    });

    test('robots.txt opens the public site, closes the back office and search, and names the sitemap', async () => {
      const response = await site.get('/robots.txt');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'text/plain; charset=utf-8');
      const lines = (await response.text()).split('\n');
      assert.equal(lines[0], 'User-agent: *');
      for (const line of [
        'Disallow: /admin',
        'Disallow: /search',
        'Disallow: /es/search',
        'Disallow: /ar/search',
        'Allow: /',
        `Sitemap: ${BASE}/sitemap.xml`,
      ])
        assert.ok(lines.includes(line), line);
      assert.ok(
        !lines.some((line) => /^Disallow: \/(statements|organisations|archive)?$/.test(line)),
      );
      assert.equal((await site.get('/es/robots.txt')).status, 404);
    });

    test('the front page: canonical without ?page=1, site title and description, website type', async () => {
      const intro = await site.html('/');
      const dom = new Dom(intro);
      assert.equal(canonicalOf(dom), `${BASE}/`);
      assert.equal(meta(dom, 'og:url'), `${BASE}/`);
      assert.equal(meta(dom, 'og:title'), 'The Wider Table');
      assert.equal(meta(dom, 'og:site_name'), 'The Wider Table');
      assert.equal(meta(dom, 'og:type'), 'website');
      assert.equal(meta(dom, 'og:locale'), 'en_US');
      assert.deepEqual(metaAll(dom, 'og:locale:alternate'), ['ar_EG', 'es_ES', 'tr_TR', 'el_GR']);
      const description = meta(dom, 'description') ?? '';
      assert.match(
        description,
        /^The Wider Table is a network of grassroots organisations in Ireland/,
      );
      assert.ok(description.length <= 160 && description.endsWith('…'), description);
      assert.equal(meta(dom, 'og:description'), description);
      assert.equal(meta(dom, 'twitter:card'), 'summary');
      assert.equal(meta(dom, 'twitter:title'), 'The Wider Table');
      assert.equal(meta(dom, 'twitter:description'), description);
      assert.equal(dom.maybe('script'), null, 'no JSON-LD beyond statements');
      assert.equal(meta(dom, 'robots'), undefined);

      const pageOne = new Dom(await site.html('/?page=1'));
      assert.equal(canonicalOf(pageOne), `${BASE}/`);
      const pageTwo = new Dom(await site.html('/?page=2'));
      assert.equal(canonicalOf(pageTwo), `${BASE}/?page=2`);
      assert.equal(meta(pageTwo, 'og:url'), `${BASE}/?page=2`);
      assert.equal(meta(pageTwo, 'og:title'), 'Statements, page 2');
      const spanishTwo = new Dom(await site.html('/es/?page=2'));
      assert.equal(canonicalOf(spanishTwo), `${BASE}/es/?page=2`);
      assert.equal(meta(spanishTwo, 'og:locale'), 'es_ES');
    });

    test('a statement page: canonical, article type and dates, excerpt description, translations as locales', async () => {
      const row = (await published()).find((statement) => statement.slug === KARACAMLI);
      assert.ok(row);
      const dom = new Dom(await site.html(`/statements/${KARACAMLI}`));
      const url = statementLoc(KARACAMLI, 'en');
      assert.equal(canonicalOf(dom), url);
      assert.equal(meta(dom, 'og:url'), url);
      assert.equal(meta(dom, 'og:type'), 'article');
      assert.equal(
        meta(dom, 'og:title'),
        'After the Karaçamlı earthquake: what solidarity needs now',
      );
      assert.equal(meta(dom, 'og:locale'), 'en_US');
      assert.deepEqual(metaAll(dom, 'og:locale:alternate'), ['ar_EG']);
      assert.equal(meta(dom, 'article:published_time'), row.publishedAt.toISOString());
      const modified = new Date(Math.max(row.publishedAt.getTime(), row.updatedAt.getTime()));
      assert.equal(meta(dom, 'article:modified_time'), modified.toISOString());
      const description = meta(dom, 'description') ?? '';
      assert.match(
        description,
        /^Ten days after the earthquake, the member organisations of The Wider Table/,
      );
      assert.ok(description.length <= 160, `${description.length} characters`);
      assert.doesNotMatch(description, /[<>]|\s\s/);
      assert.match(description, /\S…$/, 'cut at a word, marked');
      assert.equal(
        description,
        'Ten days after the earthquake, the member organisations of The Wider Table set out what communities in the Akdere valley are asking for — and how our network…',
        "the author's summary, cut at a word",
      );
      assert.equal(meta(dom, 'og:description'), description);
      assert.equal(meta(dom, 'twitter:card'), 'summary');
      assert.equal(meta(dom, 'og:image'), undefined, 'no image, no og:image');

      // Without a summary, the excerpt comes from the body.
      const derived = new Dom(await site.html('/statements/fuel-poverty-is-a-housing-issue'));
      const derivedDescription = meta(derived, 'description') ?? '';
      assert.ok(derivedDescription.length > 100 && derivedDescription.length <= 160);
      assert.ok(
        derived.text('.statement-body').startsWith(derivedDescription.replace(/…$/, '')),
        derivedDescription,
      );

      const viaSpanish = new Dom(await site.html(`/es/statements/${KARACAMLI}`));
      assert.equal(
        canonicalOf(viaSpanish),
        url,
        'one canonical URL whatever the interface language',
      );
      const arabic = new Dom(await site.html(`/ar/statements/${KARACAMLI_AR}`));
      assert.equal(canonicalOf(arabic), statementLoc(KARACAMLI_AR, 'ar'));
      assert.equal(meta(arabic, 'og:locale'), 'ar_EG');
      assert.deepEqual(metaAll(arabic, 'og:locale:alternate'), ['en_US']);
    });

    test('NewsArticle JSON-LD names the signatories as authors and publishers', async () => {
      const row = (await published()).find((statement) => statement.slug === KARACAMLI);
      assert.ok(row);
      const signatories = await site.handle.db
        .selectFrom('statement_signatories')
        .innerJoin('organisations', 'organisations.id', 'statement_signatories.organisation_id')
        .innerJoin('statements', 'statements.id', 'statement_signatories.statement_id')
        .select([
          'organisations.slug',
          'organisations.name',
          'organisations.website',
          'organisations.country',
        ])
        .where('statements.slug', '=', KARACAMLI)
        .orderBy('statement_signatories.position')
        .execute();
      assert.ok(signatories.length > 1, 'a joint statement');
      const dom = new Dom(await site.html(`/statements/${KARACAMLI}`));
      const data = JSON.parse(dom.text('head script[type="application/ld+json"]')) as {
        [key: string]: unknown;
        author: { [key: string]: unknown; address: { addressCountry: string } }[];
        publisher: { name: string }[];
        mainEntityOfPage: { '@id': string };
      };
      const url = statementLoc(KARACAMLI, 'en');
      assert.equal(data['@context'], 'https://schema.org');
      assert.equal(data['@type'], 'NewsArticle');
      assert.equal(data.headline, 'After the Karaçamlı earthquake: what solidarity needs now');
      assert.equal(data.datePublished, row.publishedAt.toISOString());
      assert.equal(data.dateModified, meta(dom, 'article:modified_time'));
      assert.equal(data.inLanguage, 'en');
      assert.equal(data.url, url);
      assert.equal(data.mainEntityOfPage['@id'], url);
      assert.equal(data.description, meta(dom, 'description'));
      assert.deepEqual(
        data.author.map((organisation) => ({
          type: organisation['@type'],
          name: organisation.name,
          url: organisation.url,
          sameAs: organisation.sameAs,
          country: organisation.address.addressCountry,
        })),
        signatories.map((organisation) => ({
          type: 'Organization',
          name: organisation.name,
          url: `${BASE}/organisations/${organisation.slug}`,
          sameAs: organisation.website ?? undefined,
          country: organisation.country,
        })),
      );
      assert.deepEqual(
        data.publisher.map((organisation) => organisation.name),
        signatories.map((organisation) => organisation.name),
      );
      assert.equal(data.image, undefined);
    });

    test('a statement with an image shares it: og:image, a large card, the image in JSON-LD', async () => {
      const file = `${'0123456789abcdef'.repeat(2)}-1600x900.jpg`;
      await addStatement({
        slug: 'a-statement-with-a-picture',
        title: 'A statement with a picture',
        bodyMd: `Before the picture.\n\n![Tenants outside the town hall](/media/${file})\n\nAfter.`,
        updatedAt: new Date('2026-01-01T00:00:00.000Z'),
        signatory: 'liffeyside-tenants',
      });
      const html = await site.html('/statements/a-statement-with-a-picture');
      const dom = new Dom(html);
      assert.equal(meta(dom, 'og:image'), `${BASE}/media/${file}`);
      assert.equal(meta(dom, 'og:image:width'), '1600');
      assert.equal(meta(dom, 'og:image:height'), '900');
      assert.equal(meta(dom, 'og:image:alt'), 'Tenants outside the town hall');
      assert.equal(meta(dom, 'twitter:card'), 'summary_large_image');
      const data = JSON.parse(dom.text('script[type="application/ld+json"]')) as {
        image: string[];
      };
      assert.deepEqual(data.image, [`${BASE}/media/${file}`]);
      assert.deepEqual(await validationMessages(html), []);
    });

    test('organisation, static, archive and search pages: canonical, description, noindex on search', async () => {
      const organisation = new Dom(await site.html('/organisations/nahr-association'));
      assert.equal(canonicalOf(organisation), `${BASE}/organisations/nahr-association`);
      assert.equal(meta(organisation, 'og:url'), `${BASE}/organisations/nahr-association`);
      assert.equal(meta(organisation, 'og:type'), 'website');
      assert.equal(
        meta(organisation, 'og:title'),
        organisation.text('main h1'),
        'the organisation name',
      );
      const description = meta(organisation, 'description') ?? '';
      assert.ok(description.length > 20 && description.length <= 160, description);
      assert.ok(
        organisation.text('main').replace(/\s+/g, ' ').includes(description.replace(/…$/, '')),
        'described by its own description',
      );
      const withPage = new Dom(await site.html('/organisations/nahr-association?page=1'));
      assert.equal(canonicalOf(withPage), `${BASE}/organisations/nahr-association`);
      const spanish = new Dom(await site.html('/es/organisations/nahr-association'));
      assert.equal(canonicalOf(spanish), `${BASE}/es/organisations/nahr-association`);

      const about = new Dom(await site.html('/about'));
      assert.equal(canonicalOf(about), `${BASE}/about`);
      assert.equal(meta(about, 'og:title'), about.text('main h1'));

      const front = meta(new Dom(await site.html('/')), 'description');
      const archive = new Dom(await site.html('/archive/2025'));
      assert.equal(canonicalOf(archive), `${BASE}/archive/2025`);
      assert.equal(
        meta(archive, 'description'),
        front,
        'the site description where a page has none',
      );

      for (const path of ['/search', '/search?q=tenants', '/es/search?q=tenants&page=1']) {
        const search = new Dom(await site.html(path));
        assert.equal(meta(search, 'robots'), 'noindex', path);
      }
      assert.equal(meta(organisation, 'robots'), undefined);
    });
  });

  describe(`[${engine}] a sitemap too long for one file`, () => {
    let site: TestSite;
    let origin = '';
    const server = Fastify();
    const PER_FILE = 7;

    before(async () => {
      site = await startTestSite(engine, { env: { BASE_URL: BASE } });
      // The same database behind a second server whose sitemaps hold seven URLs each.
      await registerSitemapRoutes(server, {
        handle: site.handle,
        state: new SiteStateStore(site.handle, new Theme(null)),
        cache: new PageCache(100),
        baseUrl: BASE,
        urlsPerSitemap: PER_FILE,
      });
      await server.listen({ port: 0, host: '127.0.0.1' });
      origin = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await server.close();
      await site?.close();
    });

    test('/sitemap.xml becomes an index of parts that together list every URL once', async () => {
      const whole = urlEntries(await site.html('/sitemap.xml'));
      const response = await fetch(`${origin}/sitemap.xml`);
      assert.equal(response.status, 200);
      const index = parseSitemap(await response.text());
      assert.equal(index.urlset, undefined, 'not a URL set any more');
      const parts = index.sitemapindex?.sitemap ?? [];
      assert.equal(parts.length, Math.ceil(whole.length / PER_FILE));
      const listed: UrlEntry[] = [];
      for (const [position, part] of parts.entries()) {
        assert.equal(part.loc, `${BASE}/sitemaps/${position + 1}.xml`);
        const partResponse = await fetch(`${origin}${new URL(part.loc).pathname}`);
        assert.equal(partResponse.status, 200, part.loc);
        const entries = urlEntries(await partResponse.text());
        assert.ok(
          entries.length >= 1 && entries.length <= PER_FILE,
          `${part.loc}: ${entries.length}`,
        );
        const newest = entries
          .map((entry) => entry.lastmod ?? '')
          .sort()
          .at(-1);
        assert.equal(part.lastmod, newest, `${part.loc} is as new as its newest URL`);
        listed.push(...entries);
      }
      assert.deepEqual(listed, whole, 'the same URLs, in the same order, with the same details');
      for (const missing of [`${parts.length + 1}.xml`, '0.xml', 'abc', '1.xml.gz'])
        assert.equal((await fetch(`${origin}/sitemaps/${missing}`)).status, 404, missing);
    });
  });
}
