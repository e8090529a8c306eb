import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { extractFromJson } from '@extractus/feed-extractor';
import { parseFeed } from '@rowanmanning/feed-parser';
import { mediaUrl } from '../src/media/media-names.ts';
import { findOrganisationBySlug, upsertOrganisation } from '../src/organisations/index.ts';
import { bumpContentVersion } from '../src/settings/index.ts';
import { upsertStatement } from '../src/statements/index.ts';
import { attr, Dom } from './helpers/dom.ts';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

// A path in the base URL checks that root-relative URLs are joined to it, as canonical links are.
const BASE = 'https://news.example.org/network';
const FORMATS = {
  rss: { extension: 'xml', type: 'application/rss+xml' },
  atom: { extension: 'atom', type: 'application/atom+xml' },
  json: { extension: 'json', type: 'application/feed+json' },
} as const;
type Format = keyof typeof FORMATS;
const ALL_FORMATS = Object.keys(FORMATS) as Format[];

/** A feed as the parsers read it, the same shape whatever the format. */
interface ReadAuthor {
  name: string | null;
  url: string | null;
}
interface ReadEntry {
  id: string | null;
  url: string | null;
  title: string | null;
  language: string | null;
  authors: ReadAuthor[];
  published: Date | null;
  updated: Date | null;
  content: string;
  summary: string;
}
interface ReadFeed {
  title: string | null;
  description: string | null;
  language: string | null;
  homePage: string | null;
  entries: ReadEntry[];
}

const TRICKY_TITLE = 'Fish & chips: <b>not bold</b> ]]> and ]]> again';
const IMAGE = mediaUrl({
  key: '0123456789abcdef0123456789abcdef',
  largest: { width: 1600, height: 900 },
  fallback: 'jpg',
});
const TRICKY_BODY = [
  'Read [the archive](/archive), [the next part](#part-two) and [our partners](https://example.com/partners).',
  '',
  `![A banner](${IMAGE})`,
  '',
  '![A photo](photos/march.jpg)',
  '',
  'Renters across Dublin are organising for the winter.',
].join('\n');
const TRICKY_PUBLISHED = new Date('2026-11-25T10:00:00Z');

function text(value: unknown): string {
  assert.equal(typeof value, 'string', `expected a string, got ${JSON.stringify(value)}`);
  return value as string;
}

function jsonAuthors(value: unknown): ReadAuthor[] {
  assert.ok(Array.isArray(value), `authors must be an array, got ${JSON.stringify(value)}`);
  return value.map((author: unknown) => {
    assert.ok(typeof author === 'object' && author !== null);
    const { name, url } = author as Record<string, unknown>;
    return { name: text(name), url: typeof url === 'string' ? url : null };
  });
}

/** Reads RSS or Atom with @rowanmanning/feed-parser. */
function readXmlFeed(xml: string, format: 'rss' | 'atom'): ReadFeed {
  const feed = parseFeed(xml);
  assert.equal(feed.meta.type, format);
  return {
    title: feed.title,
    description: feed.description,
    language: feed.language,
    homePage: feed.url,
    entries: feed.items.map((item) => ({
      id: item.id,
      url: item.url,
      title: item.title,
      language:
        format === 'atom'
          ? item.element.getAttribute('xml:lang')
          : (item.element.findElementWithName('language')?.textContentNormalized ?? null),
      authors: item.authors.map((author) => ({ name: author.name, url: author.url })),
      published: item.published,
      // RSS has no updated date of its own; the feed adds Atom's, which the parser leaves to us.
      updated:
        format === 'atom'
          ? item.updated
          : (item.element.findElementWithName('updated')?.textContentAsDate ?? null),
      content: item.content ?? '',
      summary: item.description ?? '',
    })),
  };
}

/** Reads JSON Feed with @extractus/feed-extractor, keeping the 1.1 fields it does not normalise. */
function readJsonFeed(json: string): ReadFeed {
  const feed = extractFromJson(json, {
    descriptionMaxLen: 0,
    // The extractor drops URL fragments from the home page; the raw value is what a reader follows.
    getExtraFeedFields: (data) => ({ home_page_url: data.home_page_url }),
    getExtraEntryFields: (item) => ({
      language: item.language,
      authors: item.authors,
      date_modified: item.date_modified,
      content_html: item.content_html,
      summary_html: item.summary,
    }),
  });
  return {
    title: feed.title ?? null,
    description: feed.description ?? null,
    language: feed.language ?? null,
    homePage: typeof feed.home_page_url === 'string' ? feed.home_page_url : null,
    entries: (feed.entries ?? []).map((entry) => ({
      id: entry.id,
      url: entry.link ?? null,
      title: entry.title ?? null,
      language: typeof entry.language === 'string' ? entry.language : null,
      authors: jsonAuthors(entry.authors),
      published: entry.published ? new Date(entry.published) : null,
      updated: new Date(text(entry.date_modified)),
      content: text(entry.content_html),
      summary: text(entry.summary_html),
    })),
  };
}

/** The URLs a listing page links its statements to, absolute, across as many pages as it takes. */
async function listedUrls(site: TestSite, path: string, count: number): Promise<string[]> {
  const urls: string[] = [];
  for (let page = 1; urls.length < count; page += 1) {
    const response = await site.get(page === 1 ? path : `${path}?page=${page}`);
    if (response.status === 404) break;
    assert.equal(response.status, 200, `GET ${path} page ${page}`);
    const dom = new Dom(await response.text());
    urls.push(
      ...dom
        .all('article.statement-summary .statement-title a')
        .map((link) => `${BASE}${attr(link, 'href')}`),
    );
  }
  return urls.slice(0, count);
}

/** Every published statement's id (canonical URL) and language, by slug, straight from the database. */
async function publishedBySlug(site: TestSite) {
  const rows = await site.handle.db
    .selectFrom('statements')
    .select(['id', 'slug', 'language', 'published_at', 'updated_at'])
    .where('status', '=', 'published')
    .execute();
  return new Map(rows.map((row) => [row.slug, row]));
}

for (const engine of await testEngines()) {
  describe(`[${engine}] feeds`, () => {
    let site: TestSite;

    const fetchFeed = async (path: string, format: Format, headers?: Record<string, string>) => {
      const response = await site.get(path, headers);
      assert.equal(response.status, 200, `GET ${path}`);
      assert.equal(response.headers.get('content-type'), `${FORMATS[format].type}; charset=utf-8`);
      return response;
    };

    /** One feed in every format, each read by a real parser; `path` is without the extension. */
    const readAll = async (path: string): Promise<Record<Format, ReadFeed>> => {
      const read = async (format: Format) => {
        const body = await (await fetchFeed(`${path}.${FORMATS[format].extension}`, format)).text();
        return format === 'json' ? readJsonFeed(body) : readXmlFeed(body, format);
      };
      return { rss: await read('rss'), atom: await read('atom'), json: await read('json') };
    };

    before(async () => {
      site = await startTestSite(engine, { env: { BASE_URL: `${BASE}/` } });
      const db = site.handle.db;
      const now = new Date();
      const renters = await upsertOrganisation(
        db,
        {
          slug: 'dublin-renters',
          name: 'Dublin Renters & Allies',
          country: 'IE',
          website: null,
          language: 'en',
          descriptionMd: 'Renters organising in Dublin.',
        },
        now,
      );
      const liffeyside = await findOrganisationBySlug(db, 'liffeyside-tenants');
      assert.ok(liffeyside);
      await upsertStatement(
        db,
        {
          slug: 'fish-and-chips',
          title: TRICKY_TITLE,
          bodyMd: TRICKY_BODY,
          summaryMd: null,
          language: 'en',
          status: 'published',
          publishedAt: TRICKY_PUBLISHED,
          signatoryIds: [renters.id, liffeyside.id],
          translationOfId: null,
        },
        now,
      );
      await upsertStatement(
        db,
        {
          slug: 'dublin-renters-founding',
          title: 'Dublin Renters & Allies is founded',
          bodyMd: 'We are founded.',
          summaryMd: 'A new union of renters.',
          language: 'en',
          status: 'published',
          publishedAt: new Date('2024-01-10T09:00:00Z'),
          signatoryIds: [renters.id],
          translationOfId: null,
        },
        now,
      );
      await upsertStatement(
        db,
        {
          slug: 'dublin-renters-draft',
          title: 'A draft nobody may read',
          bodyMd: 'Not yet.',
          summaryMd: null,
          language: 'en',
          status: 'draft',
          publishedAt: new Date('2026-11-26T09:00:00Z'),
          signatoryIds: [renters.id],
          translationOfId: null,
        },
        now,
      );
      await bumpContentVersion(db);
      await site.app.refreshContent();
    });
    after(() => site?.close());

    test('the site feed lists what the front page lists, newest first, in all three formats', async () => {
      const expected = await listedUrls(site, '/', 20);
      assert.equal(expected.length, 20);
      assert.equal(expected[0], `${BASE}/statements/fish-and-chips`);
      const feeds = await readAll('/feed');
      for (const format of ALL_FORMATS) {
        const feed = feeds[format];
        assert.equal(feed.title, 'The Wider Table', format);
        assert.match(feed.description ?? '', /^The Wider Table is a network of grassroots/, format);
        assert.equal(feed.homePage, `${BASE}/`, format);
        assert.deepEqual(
          feed.entries.map((entry) => entry.url),
          expected,
          `${format} lists the front page's statements`,
        );
        const dates = feed.entries.map((entry) => entry.published?.getTime() ?? 0);
        assert.deepEqual(
          dates,
          [...dates].sort((a, b) => b - a),
          `${format} is newest first`,
        );
        assert.ok(
          feed.entries.every((entry) => entry.title !== 'A draft nobody may read'),
          `${format} has no drafts`,
        );
      }
      assert.equal(feeds.rss.language, 'en');
      assert.equal(feeds.atom.language, 'en');
      assert.equal(feeds.json.language, 'en');
    });

    test('an entry carries its title, absolute links, stable id, signatories, dates, content and summary', async () => {
      const stored = (await publishedBySlug(site)).get('fish-and-chips');
      assert.ok(stored);
      const updatedAt = new Date(stored.updated_at);
      const feeds = await readAll('/feed');
      for (const format of ALL_FORMATS) {
        const entry = feeds[format].entries[0];
        assert.ok(entry, format);
        const url = `${BASE}/statements/fish-and-chips`;
        assert.equal(entry.id, url, `${format} id`);
        assert.equal(entry.url, url, `${format} link`);
        assert.equal(entry.title, TRICKY_TITLE, `${format} title survives &, <, > and ]]>`);
        assert.equal(entry.language, 'en', `${format} language`);
        assert.deepEqual(
          entry.authors.map((author) => author.name),
          ['Dublin Renters & Allies', "Liffeyside Tenants' Alliance"],
          `${format} authors are the signatories in signing order`,
        );
        if (format !== 'rss') {
          assert.deepEqual(
            entry.authors.map((author) => author.url),
            [`${BASE}/organisations/dublin-renters`, `${BASE}/organisations/liffeyside-tenants`],
            `${format} authors link to their organisations`,
          );
        }
        assert.equal(entry.published?.getTime(), TRICKY_PUBLISHED.getTime(), `${format} published`);
        assert.equal(entry.updated?.getTime(), updatedAt.getTime(), `${format} updated`);

        const { content } = entry;
        assert.match(content, /Renters across Dublin are organising for the winter\./, format);
        assert.ok(content.includes(`href="${BASE}/archive"`), `${format}: root-relative link`);
        assert.ok(content.includes(`href="${url}#part-two"`), `${format}: fragment link`);
        assert.ok(content.includes('href="https://example.com/partners"'), format);
        assert.ok(content.includes(`src="${BASE}${IMAGE}"`), `${format}: uploaded image`);
        assert.ok(
          content.includes(`src="${BASE}/statements/photos/march.jpg"`),
          `${format}: path-relative image`,
        );
        const srcsets = [...content.matchAll(/srcset="([^"]*)"/g)].map((match) => match[1] ?? '');
        assert.equal(srcsets.length, 2, `${format}: WebP and fallback sources`);
        for (const candidate of srcsets.flatMap((srcset) => srcset.split(', ')))
          assert.ok(candidate.startsWith(`${BASE}/media/`) && / \d+w$/.test(candidate), format);
        assert.doesNotMatch(content, /(?:href|src)="\/(?!\/)/, `${format}: no relative URL left`);

        assert.ok(entry.summary.startsWith(`<p>Read <a href="${BASE}/archive">`), format);
        assert.notEqual(entry.summary, content, `${format}: the summary is the excerpt`);
      }
    });

    test('Atom titles are plain text escaped as HTML, so markup in a title stays text', async () => {
      const atom = await (await fetchFeed('/feed.atom', 'atom')).text();
      const escaped = TRICKY_TITLE.replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;');
      assert.ok(
        atom.includes(`<title type="html"><![CDATA[${escaped}]]></title>`),
        atom.slice(0, 2000),
      );
    });

    test('JSON Feed 1.1 fields are there and well-formed', async () => {
      const feed = (await (await fetchFeed('/feed.json', 'json')).json()) as Record<
        string,
        unknown
      >;
      assert.equal(feed.version, 'https://jsonfeed.org/version/1.1');
      assert.equal(feed.title, 'The Wider Table');
      assert.equal(feed.home_page_url, `${BASE}/`);
      assert.equal(feed.feed_url, `${BASE}/feed.json`);
      assert.equal(feed.language, 'en');
      assert.deepEqual(feed.authors, [{ name: 'The Wider Table', url: `${BASE}/` }]);
      assert.equal(feed.author, undefined, 'the deprecated single author is not used');
      assert.ok(Array.isArray(feed.items));
      const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
      for (const item of feed.items as Record<string, unknown>[]) {
        assert.equal(typeof item.id, 'string');
        assert.ok(typeof item.content_html === 'string' && item.content_html !== '');
        assert.equal(typeof item.summary, 'string');
        assert.ok(text(item.url).startsWith(`${BASE}/`));
        assert.match(text(item.date_published), rfc3339);
        assert.match(text(item.date_modified), rfc3339);
        assert.match(text(item.language), /^[a-z]{2}$/);
        assert.ok(jsonAuthors(item.authors).length >= 1);
        assert.equal(item.author, undefined);
      }
    });

    test("an organisation's feed lists exactly what its page lists", async () => {
      for (const slug of ['nahr-association', 'dublin-renters']) {
        const expected = await listedUrls(site, `/organisations/${slug}`, 20);
        assert.ok(expected.length >= 2, slug);
        const feeds = await readAll(`/organisations/${slug}/feed`);
        for (const format of ALL_FORMATS) {
          const feed = feeds[format];
          assert.deepEqual(
            feed.entries.map((entry) => entry.url),
            expected,
            `${format} ${slug}`,
          );
          assert.equal(feed.homePage, `${BASE}/organisations/${slug}`);
          for (const entry of feed.entries) {
            assert.ok(
              entry.authors.some((author) => author.url === `${BASE}/organisations/${slug}`) ||
                format === 'rss',
              `${format}: every entry is signed by ${slug}`,
            );
          }
        }
        if (slug === 'dublin-renters') {
          assert.equal(
            feeds.atom.title,
            'Statements signed by Dublin Renters & Allies · The Wider Table',
          );
          assert.equal(feeds.rss.description, 'Renters organising in Dublin.');
        }
      }
    });

    test("a country's feed lists each statement of its members once, and only theirs", async () => {
      const db = site.handle.db;
      const rows = await db
        .selectFrom('statements')
        .innerJoin('statement_signatories', 'statement_signatories.statement_id', 'statements.id')
        .innerJoin('organisations', 'organisations.id', 'statement_signatories.organisation_id')
        .select(['statements.slug', 'statements.published_at', 'statements.id'])
        .distinct()
        .where('organisations.country', '=', 'IE')
        .where('statements.status', '=', 'published')
        .where('statements.language', '=', 'en')
        .execute();
      const expected = rows
        .sort(
          (a, b) =>
            new Date(b.published_at).getTime() - new Date(a.published_at).getTime() || b.id - a.id,
        )
        .slice(0, 20)
        .map((row) => `${BASE}/statements/${row.slug}`);
      assert.ok(expected.includes(`${BASE}/statements/fish-and-chips`));
      assert.ok(expected.includes(`${BASE}/statements/dublin-renters-founding`));
      const feeds = await readAll('/countries/ie/feed');
      for (const format of ALL_FORMATS) {
        const urls = feeds[format].entries.map((entry) => entry.url);
        assert.deepEqual(urls, expected, format);
        assert.equal(new Set(urls).size, urls.length, `${format}: a joint statement appears once`);
        assert.equal(feeds[format].title, 'Statements from Ireland · The Wider Table');
        assert.equal(feeds[format].homePage, `${BASE}/organisations#country-ie`, format);
      }
      const spanish = await readAll('/es/countries/ie/feed');
      assert.equal(spanish.json.title, 'Declaraciones: Irlanda · The Wider Table');
      assert.equal(
        spanish.rss.description,
        'Las últimas declaraciones firmadas por organizaciones miembro en Irlanda.',
      );
    });

    test("a language's feed lists what its front page lists: translations, and originals with a note", async () => {
      const expected = await listedUrls(site, '/es/', 20);
      const feeds = await readAll('/es/feed');
      const stored = await publishedBySlug(site);
      for (const format of ALL_FORMATS) {
        const feed = feeds[format];
        assert.equal(feed.title, 'The Wider Table (español)', format);
        assert.equal(
          feed.description,
          'Las últimas declaraciones de The Wider Table y de sus organizaciones miembro.',
        );
        assert.equal(feed.language, 'es', format);
        assert.equal(feed.homePage, `${BASE}/es/`, format);
        assert.deepEqual(
          feed.entries.map((entry) => entry.url),
          expected,
          format,
        );
        for (const entry of feed.entries) {
          const slug = (entry.url ?? '').replace(`${BASE}/es/statements/`, '');
          const row = stored.get(slug);
          assert.ok(row, `${format}: ${entry.url} is a published statement`);
          assert.equal(entry.language, row.language, `${format}: ${slug} language`);
          const ownPrefix = row.language === 'en' ? '' : `/${row.language}`;
          assert.equal(entry.id, `${BASE}${ownPrefix}/statements/${slug}`, `${format}: id`);
          if (row.language !== 'es')
            assert.match(entry.content, /Aún sin traducir: se muestra en/, `${format}: note`);
        }
        assert.ok(feed.entries.some((entry) => entry.language === 'en'));
      }
      const atom = await (await fetchFeed('/es/feed.atom', 'atom')).text();
      assert.match(atom, /<feed xmlns="http:\/\/www\.w3\.org\/2005\/Atom" xml:lang="es">/);
      const arabic = await readAll('/ar/feed');
      assert.equal(arabic.atom.language, 'ar');
      assert.equal(arabic.rss.language, 'ar');
      assert.equal(arabic.json.title, 'The Wider Table (العربية)');
    });

    test('a Spanish feed carries the Spanish translation, the English one its original', async () => {
      const spanishUrl = `${BASE}/es/statements/el-trabajo-domestico-es-trabajo-declaracion-conjunta-por-el-8-de-marzo`;
      const englishUrl = `${BASE}/statements/domestic-work-is-work-a-joint-statement-for-8-march`;
      const spanish = await readAll('/es/organisations/trabajadoras-hogar-valparaiso/feed');
      const english = await readAll('/organisations/trabajadoras-hogar-valparaiso/feed');
      for (const format of ALL_FORMATS) {
        const spanishIds = spanish[format].entries.map((entry) => entry.id);
        assert.ok(spanishIds.includes(spanishUrl), `${format}: the translation is listed`);
        assert.ok(!spanishIds.includes(englishUrl), `${format}: its original is not`);
        const translation = spanish[format].entries.find((entry) => entry.id === spanishUrl);
        assert.equal(translation?.language, 'es');
        assert.equal(
          translation?.title,
          'El trabajo doméstico es trabajo: declaración conjunta por el 8 de marzo',
        );
        assert.doesNotMatch(translation?.content ?? '', /Aún sin traducir/);
        const englishIds = english[format].entries.map((entry) => entry.id);
        assert.ok(englishIds.includes(englishUrl), `${format}: English lists the original`);
        assert.ok(!englishIds.includes(spanishUrl), `${format}: and not the translation`);
      }
    });

    test('with untranslated: hide, a language feed has only statements in that language', async () => {
      const db = site.handle.db;
      await db
        .insertInto('settings')
        .values({ key: 'untranslated', value: JSON.stringify('hide') })
        .execute();
      await bumpContentVersion(db);
      await site.app.refreshContent();
      try {
        const expected = await listedUrls(site, '/es/', 20);
        assert.ok(expected.length >= 2);
        const feeds = await readAll('/es/feed');
        for (const format of ALL_FORMATS) {
          const entries = feeds[format].entries;
          assert.deepEqual(
            entries.map((entry) => entry.url),
            expected,
            format,
          );
          assert.deepEqual([...new Set(entries.map((entry) => entry.language))], ['es'], format);
          assert.ok(
            entries.some(
              (entry) =>
                entry.title ===
                'El trabajo doméstico es trabajo: declaración conjunta por el 8 de marzo',
            ),
            format,
          );
        }
      } finally {
        await db.deleteFrom('settings').where('key', '=', 'untranslated').execute();
        await bumpContentVersion(db);
        await site.app.refreshContent();
      }
    });

    test('pages link their feeds for autodiscovery', async () => {
      const feedLinks = async (path: string) =>
        new Dom(await site.html(path)).all('head link[rel="alternate"][type]').map((link) => ({
          type: attr(link, 'type'),
          title: attr(link, 'title'),
          href: attr(link, 'href'),
        }));
      const siteLinks = (prefix: string, title: string) => [
        { type: 'application/rss+xml', title: `${title} (RSS)`, href: `${BASE}${prefix}/feed.xml` },
        {
          type: 'application/atom+xml',
          title: `${title} (Atom)`,
          href: `${BASE}${prefix}/feed.atom`,
        },
        {
          type: 'application/feed+json',
          title: `${title} (JSON Feed)`,
          href: `${BASE}${prefix}/feed.json`,
        },
      ];
      assert.deepEqual(await feedLinks('/'), siteLinks('', 'The Wider Table'));
      assert.deepEqual(await feedLinks('/organisations'), siteLinks('', 'The Wider Table'));
      assert.deepEqual(
        await feedLinks('/statements/fish-and-chips'),
        siteLinks('', 'The Wider Table'),
      );
      assert.deepEqual(await feedLinks('/es/'), siteLinks('/es', 'The Wider Table (español)'));
      assert.deepEqual(await feedLinks('/organisations/dublin-renters'), [
        ...siteLinks('', 'The Wider Table'),
        ...siteLinks(
          '/organisations/dublin-renters',
          'Statements signed by Dublin Renters & Allies · The Wider Table',
        ),
      ]);
      const spanishOrganisation = await feedLinks('/es/organisations/dublin-renters');
      assert.deepEqual(
        spanishOrganisation.map((link) => link.href),
        [
          ...siteLinks('/es', '').map((link) => link.href),
          ...siteLinks('/es/organisations/dublin-renters', '').map((link) => link.href),
        ],
      );
      assert.equal(
        spanishOrganisation[3]?.title,
        'Declaraciones firmadas por Dublin Renters & Allies · The Wider Table (RSS)',
      );
      for (const link of spanishOrganisation) {
        const format = ALL_FORMATS.find((name) => FORMATS[name].type === link.type);
        assert.ok(format);
        await fetchFeed((link.href ?? '').replace(BASE, ''), format);
      }
    });

    test('ETag and If-Modified-Since answer 304; Last-Modified is the newest entry update', async () => {
      const newest = await site.handle.db
        .selectFrom('statements')
        .select('updated_at')
        .where('status', '=', 'published')
        .orderBy('updated_at', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow();
      const expectedLastModified = new Date(newest.updated_at).toUTCString();
      for (const format of ALL_FORMATS) {
        const path = `/feed.${FORMATS[format].extension}`;
        const first = await fetchFeed(path, format);
        const body = await first.text();
        const etag = first.headers.get('etag') ?? '';
        const lastModified = first.headers.get('last-modified') ?? '';
        assert.match(etag, /^"[\w-]+"$/);
        assert.equal(lastModified, expectedLastModified, format);
        assert.match(first.headers.get('cache-control') ?? '', /public/);

        const byTag = await site.get(path, { 'if-none-match': etag });
        assert.equal(byTag.status, 304, `${format}: If-None-Match`);
        assert.equal(await byTag.text(), '');

        const byDate = await site.get(path, { 'if-modified-since': lastModified });
        assert.equal(byDate.status, 304, `${format}: If-Modified-Since`);
        assert.equal(byDate.headers.get('etag'), etag);
        assert.equal(byDate.headers.get('last-modified'), lastModified);

        const older = new Date(Date.parse(lastModified) - 1000).toUTCString();
        const stale = await site.get(path, { 'if-modified-since': older });
        assert.equal(stale.status, 200, `${format}: an older copy gets the feed`);
        assert.equal(await stale.text(), body);

        const otherTag = await site.get(path, {
          'if-none-match': '"another"',
          'if-modified-since': lastModified,
        });
        assert.equal(otherTag.status, 200, `${format}: If-None-Match decides when both are sent`);
        await otherTag.text();

        const nonsense = await site.get(path, { 'if-modified-since': 'last Tuesday' });
        assert.equal(nonsense.status, 200, `${format}: an unreadable date is ignored`);
        await nonsense.text();
      }
    });

    test('unknown organisations and countries, and malformed addresses, answer a themed 404', async () => {
      for (const path of [
        '/organisations/nobody/feed.xml',
        '/organisations/nobody/feed.atom',
        '/organisations/nobody/feed.json',
        '/organisations/..%2F..%2Fetc%2Fpasswd/feed.xml',
        "/organisations/x'%20or%20'1'='1/feed.atom",
        '/organisations/%E2%9C%93/feed.json',
        '/countries/fr/feed.xml',
        '/countries/zz/feed.atom',
        '/countries/IE/feed.json',
        '/countries/irl/feed.xml',
        '/countries/1e/feed.xml',
        '/countries/ie/feed.rss',
        '/feed.rss',
      ]) {
        const response = await site.get(path);
        assert.equal(response.status, 404, path);
        assert.match(response.headers.get('content-type') ?? '', /^text\/html/, path);
        assert.match(await response.text(), /<h1[^>]*>Page not found<\/h1>/, path);
      }
      const spanish = await site.get('/es/countries/fr/feed.json');
      assert.equal(spanish.status, 404);
      assert.match(await spanish.text(), /Página no encontrada/);
    });

    test('a newly published statement appears in the feeds once the cache is cleared', async () => {
      const before = await fetchFeed('/feed.json', 'json');
      const etag = before.headers.get('etag') ?? '';
      const lastModified = before.headers.get('last-modified') ?? '';
      await before.text();
      const db = site.handle.db;
      const steki = await findOrganisationBySlug(db, 'steki-patras');
      assert.ok(steki);
      const publishedAt = new Date('2026-11-26T08:00:00Z');
      const savedAt = new Date(Date.parse(lastModified) + 5000);
      await upsertStatement(
        db,
        {
          slug: 'a-new-statement',
          title: 'A new statement',
          bodyMd: 'Published just now.',
          summaryMd: null,
          language: 'en',
          status: 'published',
          publishedAt,
          signatoryIds: [steki.id],
          translationOfId: null,
        },
        savedAt,
      );
      const cached = await site.get('/feed.json', { 'if-none-match': etag });
      assert.equal(cached.status, 304, 'served from the page cache until content changes');
      await bumpContentVersion(db);
      // The change is seen by this check or, on PostgreSQL, already by the LISTEN/NOTIFY listener.
      await site.app.refreshContent();

      const changed = await site.get('/feed.json', { 'if-none-match': etag });
      assert.equal(changed.status, 200, 'the old ETag no longer matches');
      assert.notEqual(changed.headers.get('etag'), etag);
      assert.equal(changed.headers.get('last-modified'), savedAt.toUTCString());
      await changed.text();
      const byDate = await site.get('/feed.atom', { 'if-modified-since': lastModified });
      assert.equal(byDate.status, 200, 'a copy from before the change is not modified-since');
      await byDate.text();

      const url = `${BASE}/statements/a-new-statement`;
      const feeds = await readAll('/feed');
      for (const format of ALL_FORMATS) {
        const first = feeds[format].entries[0];
        assert.equal(first?.id, url, format);
        assert.equal(first?.title, 'A new statement', format);
        assert.equal(first?.published?.getTime(), publishedAt.getTime(), format);
        assert.equal(feeds[format].entries.length, 20, `${format}: still the 20 newest`);
      }
      const organisation = await readAll('/organisations/steki-patras/feed');
      const country = await readAll('/countries/gr/feed');
      for (const format of ALL_FORMATS) {
        assert.equal(organisation[format].entries[0]?.id, url, format);
        assert.equal(country[format].entries[0]?.id, url, format);
      }
    });
  });
}
