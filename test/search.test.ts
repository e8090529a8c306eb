import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { HtmlValidate } from 'html-validate';
import { sql } from 'kysely';
import { createUser } from '../src/accounts/account-service.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { searchSpeed } from '../src/db/migrations/0007-search-speed.ts';
import { listOrganisations } from '../src/organisations/index.ts';
import { searchAdapter } from '../src/search/index.ts';
import {
  fts5Quote,
  highlightToHtml,
  MAX_QUERY_LENGTH,
  parseQuery,
  toFts5Match,
} from '../src/search/query.ts';
import { foldToken, makeSnippet, SNIPPET_TOKENS } from '../src/search/snippet.ts';
import { findSignatories, upsertStatement } from '../src/statements/index.ts';
import {
  createStatement,
  type Editor,
  transitionStatement,
} from '../src/statements/statement-service.ts';
import { attr, Dom, textOf } from './helpers/dom.ts';
import { createTestDatabase, testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

describe('search query parsing', () => {
  test('words and balanced phrases; operators of both engines become separators', () => {
    assert.deepEqual(parseQuery('Tenants "winter pause"  evictions'), {
      kind: 'terms',
      parts: [
        { words: ['Tenants'], phrase: false },
        { words: ['winter', 'pause'], phrase: true },
        { words: ['evictions'], phrase: false },
      ],
    });
    const parsed = parseQuery('a* -b +c:d ^e (f) {g} [h] NEAR(i j) x AND y OR NOT z');
    assert.equal(parsed.kind, 'terms');
    const words = parsed.kind === 'terms' ? parsed.parts.flatMap((part) => part.words) : [];
    assert.deepEqual(words, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'x', 'y', 'z']);
  });

  test('an unbalanced quote leaves its words as single terms; a one-word phrase is a word', () => {
    assert.deepEqual(parseQuery('"solidarity fund'), {
      kind: 'terms',
      parts: [
        { words: ['solidarity'], phrase: false },
        { words: ['fund'], phrase: false },
      ],
    });
    assert.deepEqual(parseQuery('“Karaçamlı”'), {
      kind: 'terms',
      parts: [{ words: ['Karaçamlı'], phrase: false }],
    });
  });

  test('control characters, sentinels and lone surrogates never survive', () => {
    const parsed = parseQuery('ab\u0000cd\u0001ef\u0002\ud800gh\u200b');
    assert.deepEqual(parsed.kind === 'terms' ? parsed.parts.map((p) => p.words[0]) : [], [
      'ab',
      'cd',
      'ef',
      'gh',
    ]);
  });

  test('empty, operator-only and non-string input is empty; over 200 characters is too long', () => {
    for (const input of ['', '   ', '"" * - ( )', 'AND OR NOT', undefined, ['a'], 42])
      assert.deepEqual(parseQuery(input), { kind: 'empty' });
    assert.deepEqual(parseQuery('x'.repeat(MAX_QUERY_LENGTH + 1)), {
      kind: 'too-long',
      max: 200,
    });
    assert.equal(parseQuery('x'.repeat(MAX_QUERY_LENGTH)).kind, 'terms');
    assert.equal(parseQuery('ğ'.repeat(MAX_QUERY_LENGTH)).kind, 'terms', 'counts characters');
  });

  test('the FTS5 expression is only quoted strings', () => {
    assert.equal(fts5Quote('a"b'), '"a""b"');
    const parsed = parseQuery('winter "rent freeze" NEAR x*');
    assert.ok(parsed.kind === 'terms');
    assert.equal(toFts5Match(parsed.parts), '"winter" "rent freeze" "x"');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (input) => {
        const result = parseQuery(input);
        if (result.kind !== 'terms') return;
        const match = toFts5Match(result.parts);
        assert.match(match, /^"[^"]+"( "[^"]+")*$/u);
      }),
    );
  });

  test('SQLite snippets: folded like the index, phrases marked whole, cut around the best window', () => {
    const parts = (query: string) => {
      const parsed = parseQuery(query);
      return parsed.kind === 'terms' ? parsed.parts : [];
    };
    assert.equal(
      makeSnippet('President Erdoğan met the KARAÇAMLI council.', parts('erdogan karacamli')),
      'President \u0001Erdoğan\u0002 met the \u0001KARAÇAMLI\u0002 council.',
    );
    assert.equal(foldToken('Işık İzmir'), 'isik izmir');
    assert.equal(
      makeSnippet('a winter pause, then pause winter', parts('"winter pause"')),
      'a \u0001winter pause\u0002, then pause winter',
    );
    const long = Array.from({ length: 100 }, (_, index) => `w${index}`).join(' ');
    const cut = makeSnippet(long, parts('w50'));
    assert.ok(cut.startsWith('…') && cut.endsWith('…'), cut);
    assert.ok(cut.includes('\u0001w50\u0002'), cut);
    assert.equal(cut.replace(/…/g, '').trim().split(/\s+/).length, SNIPPET_TOKENS);
    assert.equal(makeSnippet(long, parts('nothing')).split(/\s+/)[0], 'w0');
    assert.equal(
      makeSnippet('x \u0001y\u0002 z', parts('q')),
      'x  y  z',
      'stray sentinels removed',
    );
  });

  test('highlighting escapes everything and only the sentinels become <mark>', () => {
    assert.equal(
      highlightToHtml('<script>alert(1)</script> \u0001Tom & "Jerry"\u0002 \u0002x\u0001y'),
      '&lt;script&gt;alert(1)&lt;/script&gt; <mark>Tom &amp; &quot;Jerry&quot;</mark> x<mark>y</mark>',
    );
  });
});

const validator = new HtmlValidate({
  extends: ['html-validate:recommended', 'html-validate:a11y'],
  rules: { 'no-raw-characters': 'off', 'long-title': 'off' },
});

async function assertValid(html: string) {
  const report = await validator.validateString(html);
  const messages = report.results.flatMap((result) =>
    result.messages.map((m) => `${m.line}:${m.column} ${m.ruleId}: ${m.message}`),
  );
  assert.deepEqual(messages, [], messages.join('\n'));
}

/** Percent-encodes the UTF-8 bytes of any string, lone surrogates included. */
function encodeAny(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((byte) => `%${byte.toString(16).padStart(2, '0')}`)
    .join('');
}

interface Result {
  slug: string;
  title: string;
  date: string;
  signatories: string[];
  snippet: string;
}

function results(html: string): Result[] {
  const dom = new Dom(html);
  return dom.all('article.search-result').map((article) => ({
    slug: (attr(dom.one('h3 a', article), 'href') ?? '').replace('/statements/', ''),
    title: textOf(dom.one('h3 a', article)),
    date: attr(dom.one('time', article), 'datetime') ?? '',
    signatories: dom.all('.signatories a', article).map(textOf),
    snippet: /<p class="snippet">([\s\S]*?)<\/p>/.exec(
      html.slice(html.indexOf(`href="${attr(dom.one('h3 a', article), 'href')}"`)),
    )?.[1] as string,
  }));
}

for (const engine of await testEngines()) {
  describe(`[${engine}] full-text search`, () => {
    let site: TestSite;
    let editor: Editor;
    const search = async (query: string) => {
      const response = await site.get(`/search?q=${encodeURIComponent(query)}`);
      assert.equal(response.status, 200, `search for ${query}`);
      return response.text();
    };
    const slugs = async (query: string) => results(await search(query)).map((r) => r.slug);

    before(async () => {
      site = await startTestSite(engine);
      const [first, second] = await listOrganisations(site.handle.db);
      assert.ok(first && second);
      const now = new Date('2025-03-01T12:00:00Z');
      const imported = {
        summaryMd: null,
        language: 'en',
        status: 'published' as const,
        translationOfId: null,
      };
      // The import path writes through upsertStatement: no search code involved.
      await upsertStatement(
        site.handle.db,
        {
          ...imported,
          slug: 'solidarity-with-istanbul-dockers',
          title: 'Solidarity with the dockers of Istanbul',
          bodyMd:
            'President Erdoğan promised a reply. Someone wrote `<script>alert(1)</script>` beside the quorvex ballot & "more".',
          publishedAt: now,
          signatoryIds: [first.id],
        },
        now,
      );
      await upsertStatement(
        site.handle.db,
        {
          ...imported,
          slug: 'wombatine-title',
          title: 'The wombatine question',
          bodyMd: 'A short text about housing.',
          publishedAt: new Date('2020-01-01T12:00:00Z'),
          signatoryIds: [second.id],
        },
        now,
      );
      await upsertStatement(
        site.handle.db,
        {
          ...imported,
          slug: 'wombatine-body',
          title: 'A longer statement',
          bodyMd: 'We discussed the wombatine proposal and the wombatine vote at length.',
          publishedAt: new Date('2025-02-01T12:00:00Z'),
          signatoryIds: [second.id],
        },
        now,
      );
      await upsertStatement(
        site.handle.db,
        {
          ...imported,
          slug: 'one-family',
          title: 'One family',
          bodyMd: 'The eviction of one family from Zaporanski street.',
          publishedAt: now,
          signatoryIds: [first.id],
        },
        now,
      );
      const userId = await createUser(
        site.handle,
        {
          email: 'search-editor@example.org',
          name: 'Search Editor',
          role: 'admin',
          password: 'a long and unguessable passphrase 7391',
          organisationSlugs: [],
        },
        { userId: null, label: 'test', ip: null },
      );
      editor = {
        user: {
          id: userId,
          email: 'search-editor@example.org',
          name: 'Search Editor',
          role: 'admin',
          organisationIds: [],
          twoFactorEnabled: false,
          disabled: false,
          createdAt: now,
        },
        audit: { userId, label: 'Search Editor', ip: null },
      };
    });
    after(() => site?.close());

    test('diacritics and case do not matter; snippets keep the original spelling', async () => {
      const karacamli = results(await search('karacamli'));
      assert.equal(karacamli[0]?.slug, 'after-the-karacamli-earthquake-what-solidarity-needs-now');
      assert.match(karacamli[0]?.snippet ?? '', /<mark>Karaçamlı<\/mark>/);
      for (const query of ['erdogan', 'ERDOĞAN', 'Erdoğan'])
        assert.deepEqual(await slugs(query), ['solidarity-with-istanbul-dockers'], query);
      assert.match(results(await search('erdogan'))[0]?.snippet ?? '', /<mark>Erdoğan<\/mark>/);
    });

    test('a quoted phrase must appear in order', async () => {
      assert.deepEqual(await slugs('"winter pause"'), [
        'winter-evictions-must-stop-a-call-to-dublin-city-council',
      ]);
      assert.deepEqual(await slugs('"pause winter"'), []);
      assert.ok((await slugs('pause winter')).length >= 1);
    });

    test('a phrase with a stop word in it keeps its gap; its words apart or reordered do not match', async () => {
      const dublin = 'winter-evictions-must-stop-a-call-to-dublin-city-council';
      for (const phrase of [
        '"winter pause on evictions"',
        '"pause on evictions"',
        '"a winter pause"',
      ])
        assert.deepEqual(await slugs(phrase), [dublin], phrase);
      for (const phrase of ['"pause evictions"', '"evictions on pause"', '"winter on pause"'])
        assert.ok(!(await slugs(phrase)).includes(dublin), phrase);
    });

    if (engine === 'postgres') {
      test('stemmed phrases: "winter pauses" finds "winter pause"', async () => {
        assert.deepEqual(await slugs('"winter pauses"'), [
          'winter-evictions-must-stop-a-call-to-dublin-city-council',
        ]);
      });

      test('stemming: "evictions" finds a statement that only says "eviction"', async () => {
        assert.ok((await slugs('evictions')).includes('one-family'));
        assert.ok((await slugs('zaporanski evicted')).includes('one-family'));
      });
    }

    test('a title match ranks above a body-only match', async () => {
      assert.deepEqual(await slugs('wombatine'), ['wombatine-title', 'wombatine-body']);
    });

    test('snippets are plain text, escaped, with matches marked', async () => {
      const html = await search('quorvex');
      const [hit] = results(html);
      assert.ok(hit);
      assert.match(hit.snippet, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      assert.match(hit.snippet, /<mark>quorvex<\/mark> ballot &amp; /);
      assert.doesNotMatch(html, /<script/);
      assert.doesNotMatch(hit.snippet, /<code>/);
      assert.ok(!hit.snippet.includes('\u0001') && !hit.snippet.includes('\u0002'));
    });

    test('results show title link, long date, signatories and count', async () => {
      const html = await search('erdogan');
      const dom = new Dom(html);
      assert.equal(dom.text('.search-count'), '1 statement found');
      const [hit] = results(html);
      assert.equal(hit?.title, 'Solidarity with the dockers of Istanbul');
      assert.equal(hit?.date, '2025-03-01');
      assert.equal(dom.text('article.search-result time'), 'Saturday 1st March 2025');
      assert.equal(hit?.signatories.length, 1);
      assert.equal(attr(dom.one('#search-q'), 'value'), 'erdogan');
      assert.match(dom.text('.search-results h2'), /Results for “erdogan”/);
    });

    test('drafts are never found; publishing in the back office makes a statement findable at once', async () => {
      assert.ok(
        !(await slugs('consultation rental standards bill')).includes(
          'response-to-the-consultation-on-the-rental-standards-bill',
        ),
      );
      const id = await createStatement(site.handle, editor, {
        title: 'Statement on the plumquist tribunal',
        slug: '',
        bodyMd: 'The plumquist tribunal must hear the workers.',
        summaryMd: '',
        language: 'en',
        publishedAt: new Date('2025-04-01T09:00:00Z'),
        signatoryIds: [(await listOrganisations(site.handle.db))[0]?.id ?? 0],
      });
      assert.deepEqual(await slugs('plumquist'), [], 'a draft is not found');
      await transitionStatement(site.handle, editor, id, 'publish', { expectedVersion: 1 });
      assert.equal((await slugs('plumquist')).length, 1);
    });

    test('an import that changes a statement re-indexes it in the same write', async () => {
      const [first] = await listOrganisations(site.handle.db);
      assert.ok(first);
      const input = {
        slug: 'reindexed-statement',
        title: 'Reindexed',
        bodyMd: 'The old word is frumbleton.',
        summaryMd: null,
        language: 'en',
        status: 'published' as const,
        publishedAt: new Date('2024-05-05T10:00:00Z'),
        signatoryIds: [first.id],
        translationOfId: null,
      };
      await upsertStatement(site.handle.db, input, new Date());
      assert.deepEqual(await slugs('frumbleton'), ['reindexed-statement']);
      await upsertStatement(
        site.handle.db,
        { ...input, bodyMd: 'The new word is grastovian.' },
        new Date(),
      );
      assert.deepEqual(await slugs('frumbleton'), []);
      assert.deepEqual(await slugs('grastovian'), ['reindexed-statement']);
      assert.ok((await slugs(`"${first.name}" grastovian`)).includes('reindexed-statement'));
    });

    test('filters: organisation, country, language, year; unknown values are ignored', async () => {
      const all = await slugs('the');
      assert.equal(all.length, 10);
      const organisations = await listOrganisations(site.handle.db);
      const liffeyside = organisations.find((o) => o.slug === 'liffeyside-tenants');
      assert.ok(liffeyside);
      const get = async (path: string) => {
        const response = await site.get(path);
        assert.equal(response.status, 200, path);
        return response.text();
      };
      const byOrganisation = results(
        await get('/search?q=tenants&organisation=liffeyside-tenants'),
      );
      assert.ok(byOrganisation.length > 0);
      for (const hit of byOrganisation) assert.ok(hit.signatories.includes(liffeyside.name));

      const ids = new Map(
        (await site.handle.db.selectFrom('statements').select(['id', 'slug']).execute()).map(
          (row) => [row.slug, row.id],
        ),
      );
      const byCountry = results(await get('/search?q=tenants&country=GR')).map((r) => r.slug);
      assert.ok(byCountry.length > 0);
      const signatories = await findSignatories(
        site.handle.db,
        byCountry.map((slug) => ids.get(slug) ?? 0),
      );
      for (const list of signatories.values())
        assert.ok(list.some((organisation) => organisation.country === 'GR'));

      const arabic = results(await get('/search?q=orvane&language=ar'));
      assert.ok(arabic.length > 0);
      const arabicDom = new Dom(await get('/search?q=orvane&language=ar'));
      for (const article of arabicDom.all('article.search-result'))
        assert.equal(attr(article, 'lang'), 'ar');
      assert.equal(
        attr(arabicDom.one('#search-language option[selected]'), 'value'),
        'ar',
        'the chosen filter stays selected',
      );

      const in2020 = results(await get('/search?q=wombatine&year=2020'));
      assert.deepEqual(
        in2020.map((r) => r.slug),
        ['wombatine-title'],
      );

      const plain = await slugs('tenants');
      for (const ignored of [
        'country=ZZ',
        'language=%3Cscript%3E',
        'year=1066',
        'year=abc',
        'organisation=no-such-organisation',
      ]) {
        const html = await get(`/search?q=tenants&${ignored}`);
        assert.deepEqual(
          results(html).map((r) => r.slug),
          plain,
          ignored,
        );
        assert.equal(new Dom(html).all('option[selected]').length, 0, ignored);
      }
    });

    test('renaming an organisation or moving it to another country re-indexes its statements', async () => {
      const organisation = (await listOrganisations(site.handle.db)).find(
        (o) => o.slug === 'liffeyside-tenants',
      );
      assert.ok(organisation);
      const adapter = searchAdapter(site.handle.engine);
      const find = async (words: string[], filters: { country?: string } = {}) =>
        (
          await adapter.search(site.handle.db, {
            parts: [{ words, phrase: words.length > 1 }],
            filters,
            limit: 50,
            offset: 0,
          })
        ).hits.map((hit) => hit.id);
      const signed = (await find(['tenants'], { country: 'IE' })).length;
      assert.ok(signed > 0);
      const update = (values: { name?: string; country?: string }) =>
        site.handle.db
          .updateTable('organisations')
          .set(values)
          .where('id', '=', organisation.id)
          .execute();
      try {
        await update({ country: 'PT' });
        assert.deepEqual(await find(['tenants'], { country: 'IE' }), []);
        assert.equal((await find(['tenants'], { country: 'PT' })).length, signed);
        await update({ name: 'Liffeyside Vornquist Union' });
        assert.ok((await find(['vornquist', 'union'])).length > 0, 'found by the new name');
      } finally {
        await update({ name: organisation.name, country: organisation.country });
      }
      assert.equal((await find(['tenants'], { country: 'IE' })).length, signed);
    });

    test('ten results a page with Newer/Older links that keep the query and filters', async () => {
      const first = await search('the');
      const dom = new Dom(first);
      const total = Number(/([\d,]+) statements found/.exec(dom.text('.search-count'))?.[1]);
      assert.ok(total > 10);
      assert.equal(results(first).length, 10);
      const older = attr(dom.one('.pagination a.older'), 'href');
      assert.equal(older, '/search?q=the&page=2');
      assert.equal(dom.maybe('.pagination a.newer'), null);
      const second = await site.get(older ?? '');
      assert.equal(second.status, 200);
      const secondDom = new Dom(await second.text());
      assert.equal(attr(secondDom.one('.pagination a.newer'), 'href'), '/search?q=the');
      const pageOne = new Set(results(first).map((r) => r.slug));
      for (const hit of results(secondDom.root ? await (await site.get(older ?? '')).text() : ''))
        assert.ok(!pageOne.has(hit.slug));
      const filtered = new Dom(await (await site.get('/search?q=the&language=en')).text());
      assert.equal(
        attr(filtered.one('.pagination a.older'), 'href'),
        '/search?q=the&language=en&page=2',
      );
      assert.equal((await site.get('/search?q=the&page=999')).status, 404);
      assert.equal((await site.get('/search?q=the&page=abc')).status, 400);
    });

    test('an empty search shows the form without results or error; a long one is a themed 400', async () => {
      for (const path of ['/search', '/search?q=', '/search?q=%22%22+*+-']) {
        const response = await site.get(path);
        assert.equal(response.status, 200);
        const html = await response.text();
        assert.equal(new Dom(html).all('.search-results').length, 0);
        await assertValid(html);
      }
      const long = await site.get(`/search?q=${'a'.repeat(201)}`);
      assert.equal(long.status, 400);
      const html = await long.text();
      assert.match(html, /The search is too long; use at most 200 characters\./);
      await assertValid(html);
      assert.equal((await site.get(`/search?q=${'a'.repeat(200)}`)).status, 200);
    });

    test('the results page and the no-results page are valid, accessible HTML', async () => {
      await assertValid(await search('karacamli'));
      await assertValid(await search('the'));
      const none = await search('nonexistentwordxyz');
      assert.match(none, /No statements match your search/);
      await assertValid(none);
    });

    test('the count stops at the limit: past it, matches come newest first', async () => {
      const adapter = searchAdapter(site.handle.engine);
      const parts = [{ words: ['wombatine'], phrase: false }];
      const ranked = await adapter.search(site.handle.db, {
        parts,
        filters: {},
        limit: 5,
        offset: 0,
      });
      assert.equal(ranked.total, 2);
      assert.equal(ranked.totalIsCapped, false);
      assert.deepEqual(
        ranked.hits.map((hit) => hit.slug),
        ['wombatine-title', 'wombatine-body'],
        'all matches counted: ranked',
      );
      const capped = await adapter.search(site.handle.db, {
        parts,
        filters: {},
        limit: 5,
        offset: 0,
        countLimit: 1,
      });
      assert.equal(capped.total, 1);
      assert.equal(capped.totalIsCapped, true);
      assert.deepEqual(
        capped.hits.map((hit) => hit.slug),
        ['wombatine-body'],
        'capped: newest first, no further than the limit',
      );
      const past = await adapter.search(site.handle.db, {
        parts,
        filters: {},
        limit: 5,
        offset: 1,
        countLimit: 1,
      });
      assert.deepEqual(past.hits, []);
    });

    test('a search matching over 1,000 statements says so and pages through the newest 1,000', async () => {
      const now = new Date('2025-06-01T12:00:00Z');
      const rows = Array.from({ length: 1003 }, (_, index) => {
        const bodyMd = `Multitudinous note number ${index}.`;
        return {
          slug: `multitudinous-${index}`,
          title: `Note ${index}`,
          body_md: bodyMd,
          body_html: `<p>${bodyMd}</p>`,
          summary_md: null,
          summary_html: null,
          language: 'en',
          status: 'published',
          published_at: new Date(Date.UTC(2021, 0, 1) + index * 86_400_000),
          translation_of_id: null,
          created_at: now,
          updated_at: now,
          created_by: null,
          translation_source_hash: null,
        };
      });
      await site.handle.db.insertInto('statements').values(rows).execute();
      const html = await search('multitudinous');
      const dom = new Dom(html);
      assert.equal(dom.text('.search-count'), 'More than 1,000 statements found, newest first');
      const first = results(html);
      assert.deepEqual(
        first.map((r) => r.slug),
        Array.from({ length: 10 }, (_, index) => `multitudinous-${1002 - index}`),
      );
      assert.match(dom.text('.pagination'), /Page 1 of 100/);
      const last = await site.get('/search?q=multitudinous&page=100');
      assert.equal(last.status, 200);
      assert.equal(results(await last.text()).at(-1)?.slug, 'multitudinous-3');
      assert.equal((await site.get('/search?q=multitudinous&page=101')).status, 404);
      await assertValid(html);
    });

    test('property: any input answers 200 or 400, never 500', async () => {
      const operatorSoup = fc
        .array(
          fc.constantFrom(
            '"',
            '*',
            ':',
            '^',
            '(',
            ')',
            '-',
            '+',
            'NEAR',
            'AND',
            'OR',
            'NOT',
            '{',
            '}',
            '[',
            ']',
            '\u0000',
            '\u0001',
            '\u0002',
            "'",
            '\\',
            '%',
            '_',
            ' ',
            'ğ',
            'ı',
            'é',
            'a',
            'the',
            'tenants',
            '؟',
            'ж',
            '😀',
            '\ud800',
            ';',
            'NEAR/2',
            '&',
            '<',
            '>',
          ),
          { maxLength: 60 },
        )
        .map((pieces) => pieces.join(''));
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.string({ unit: 'binary', maxLength: 220 }), operatorSoup),
          async (input) => {
            const response = await site.get(`/search?q=${encodeAny(input)}`);
            await response.arrayBuffer();
            assert.ok(
              [200, 400].includes(response.status),
              `${response.status} for ${JSON.stringify(input)}`,
            );
          },
        ),
        { numRuns: 150 },
      );
      for (const raw of ['%FF%FE', '%C0%80', '%', 'x&q=y', '%00']) {
        const response = await site.get(`/search?q=${raw}`);
        await response.arrayBuffer();
        assert.ok([200, 400].includes(response.status), raw);
      }
    });
  });

  test(`[${engine}] migration 0007 can be undone and done again, the index following the content`, async () => {
    const fresh = await createTestDatabase(engine);
    const handle = await openDatabase(loadConfig({ DATABASE_URL: fresh.url }).database);
    try {
      await migrateToLatest(handle);
      const statement = (slug: string, bodyMd: string) => ({
        slug,
        title: 'Migration check',
        bodyMd,
        summaryMd: null,
        language: 'en',
        status: 'published' as const,
        publishedAt: new Date('2024-02-02T10:00:00Z'),
        signatoryIds: [],
        translationOfId: null,
      });
      const { id } = await upsertStatement(
        handle.db,
        statement('kept', 'Grelvish words.'),
        new Date(),
      );
      const found = async (word: string) => {
        const page = await searchAdapter(engine).search(handle.db, {
          parts: [{ words: [word], phrase: false }],
          filters: {},
          limit: 10,
          offset: 0,
        });
        return page.hits.map((hit) => hit.slug);
      };
      assert.deepEqual(await found('grelvish'), ['kept']);
      // What 0005 alone answers: the statement ids its index holds for a word.
      const indexedBy0005 = async (word: string) =>
        engine === 'sqlite'
          ? (
              await sql<{ id: number }>`select rowid as id from statement_search
                where statement_search match ${`"${word}"`}`.execute(handle.db)
            ).rows.map((row) => row.id)
          : (
              await sql<{ id: number }>`select statement_id as id from statement_search
                where search_vector @@ plainto_tsquery('communique_simple', ${word})`.execute(
                handle.db,
              )
            ).rows.map((row) => row.id);

      const migration = searchSpeed(handle.helpers);
      await migration.down(handle.db);
      assert.deepEqual(await indexedBy0005('grelvish'), [id], 'the 0005 index is back and filled');
      const later = await upsertStatement(
        handle.db,
        statement('later', 'Thrombic words.'),
        new Date(),
      );
      assert.deepEqual(await indexedBy0005('thrombic'), [later.id], 'its triggers work again');

      await migration.up(handle.db);
      assert.deepEqual(await found('grelvish'), ['kept']);
      assert.deepEqual(await found('thrombic'), ['later'], 'filled from every statement');
      await upsertStatement(handle.db, statement('later', 'Quintal words.'), new Date());
      assert.deepEqual(await found('thrombic'), []);
      assert.deepEqual(await found('quintal'), ['later']);
    } finally {
      await handle.close();
      await fresh.drop();
    }
  });
}
