import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createUser } from '../src/accounts/account-service.ts';
import { listOrganisations } from '../src/organisations/index.ts';
import { createStatement, transitionStatement } from '../src/statements/statement-service.ts';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

const BASE_URL = 'https://statements.example.net';

interface Listed {
  id: number;
  slug: string;
  url: string;
  title: string;
  language: string;
  published_at: string;
  organisations: { slug: string; name: string; country: string; url: string }[];
}
interface ListBody {
  data: Listed[];
  next_cursor: string | null;
  next_url: string | null;
}

for (const engine of await testEngines()) {
  describe(`Content API (${engine})`, () => {
    let site: TestSite;
    const json = async (path: string) => {
      const response = await site.get(path);
      return { response, body: (await response.json()) as Record<string, unknown> };
    };
    const list = async (path: string) => {
      const { response, body } = await json(path);
      assert.equal(response.status, 200, JSON.stringify(body));
      return body as unknown as ListBody;
    };
    const expectProblem = async (path: string, status: number, parameter: string) => {
      const { response, body } = await json(path);
      assert.equal(response.status, status, `${path}: ${JSON.stringify(body)}`);
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(body.status, status);
      assert.match(String(body.detail), new RegExp(`"${parameter}"`), `${path} names ${parameter}`);
      return body;
    };

    before(async () => {
      site = await startTestSite(engine, { env: { BASE_URL } });
    });
    after(() => site?.close());

    test('statements: published only, newest first, absolute URLs from BASE_URL, CORS open', async () => {
      const response = await site.get('/api/v1/statements?limit=100');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('access-control-allow-origin'), '*');
      const body = (await response.json()) as ListBody;
      const published = await site.handle.db
        .selectFrom('statements')
        .select('slug')
        .where('status', '=', 'published')
        .execute();
      assert.equal(body.data.length, published.length);
      assert.equal(body.next_cursor, null);
      const slugs = body.data.map((statement) => statement.slug);
      assert.ok(!slugs.includes('response-to-the-consultation-on-the-rental-standards-bill'));
      const times = body.data.map((statement) => Date.parse(statement.published_at));
      assert.deepEqual(
        times,
        [...times].sort((a, b) => b - a),
      );
      const arabic = body.data.find((statement) => statement.language === 'ar');
      assert.ok(arabic);
      assert.ok(arabic.url.startsWith(`${BASE_URL}/`), arabic.url);
      for (const statement of body.data) {
        assert.ok(statement.organisations.length > 0);
        for (const organisation of statement.organisations)
          assert.equal(organisation.url, `${BASE_URL}/organisations/${organisation.slug}`);
      }
    });

    test('a preflight request from another site is allowed for reading only', async () => {
      const response = await fetch(`${site.origin}/api/v1/statements`, {
        method: 'OPTIONS',
        headers: { origin: 'https://other.example', 'access-control-request-method': 'GET' },
      });
      assert.equal(response.status, 204);
      assert.equal(response.headers.get('access-control-allow-origin'), '*');
      assert.doesNotMatch(response.headers.get('access-control-allow-methods') ?? '', /POST/);
    });

    test('filters by organisation, country, language and date range combine', async () => {
      const everything = await list('/api/v1/statements?limit=100');
      const byOrganisation = await list(
        '/api/v1/statements?organisation=nahr-association&limit=100',
      );
      assert.ok(byOrganisation.data.length > 0);
      assert.ok(byOrganisation.data.length < everything.data.length);
      for (const statement of byOrganisation.data)
        assert.ok(statement.organisations.some((o) => o.slug === 'nahr-association'));
      assert.equal(
        byOrganisation.data.length,
        everything.data.filter((s) => s.organisations.some((o) => o.slug === 'nahr-association'))
          .length,
      );

      const byCountry = await list('/api/v1/statements?country=tr&limit=100');
      assert.ok(byCountry.data.length > 0);
      for (const statement of byCountry.data)
        assert.ok(statement.organisations.some((o) => o.country === 'TR'));

      const spanish = await list('/api/v1/statements?language=es&limit=100');
      assert.ok(spanish.data.length > 0);
      assert.ok(spanish.data.every((statement) => statement.language === 'es'));

      const middle = everything.data[Math.floor(everything.data.length / 2)];
      assert.ok(middle);
      const cut = middle.published_at;
      const before = await list(`/api/v1/statements?published_before=${cut}&limit=100`);
      const after = await list(`/api/v1/statements?published_after=${cut}&limit=100`);
      assert.equal(before.data.length + after.data.length, everything.data.length);
      assert.ok(before.data.every((s) => s.published_at < cut));
      assert.ok(after.data.every((s) => s.published_at >= cut));
      const year = cut.slice(0, 4);
      const inYear = await list(
        `/api/v1/statements?published_after=${year}-01-01&published_before=${Number(year) + 1}-01-01&language=en&limit=100`,
      );
      assert.ok(inYear.data.every((s) => s.published_at.startsWith(year) && s.language === 'en'));
    });

    test('cursor pages cover every statement once and stay stable while a new one is published', async () => {
      const everything = await list('/api/v1/statements?limit=100');
      const first = await list('/api/v1/statements?limit=5');
      assert.equal(first.data.length, 5);
      assert.ok(first.next_cursor);
      assert.ok(first.next_url?.startsWith(`${BASE_URL}/api/v1/statements?`));

      const organisations = await listOrganisations(site.handle.db);
      const editorId = await createUser(
        site.handle,
        {
          email: `api-editor-${engine}@example.org`,
          name: 'API editor',
          role: 'editor',
          password: 'a long enough test password',
          organisationSlugs: [],
        },
        { userId: null, label: 'test', ip: null },
      );
      const editor = {
        user: {
          id: editorId,
          email: 'e',
          name: 'e',
          role: 'editor' as const,
          organisationIds: [],
          twoFactorEnabled: false,
          disabled: false,
          createdAt: new Date(),
        },
        audit: { userId: editorId, label: 'test', ip: null },
      };
      const id = await createStatement(site.handle, editor, {
        title: 'Arrives while someone pages',
        slug: '',
        bodyMd: 'A statement published between two page requests.',
        summaryMd: '',
        language: 'en',
        publishedAt: new Date(),
        signatoryIds: [organisations[0]?.id ?? 0],
      });
      await transitionStatement(site.handle, editor, id, 'publish', { expectedVersion: 1 });

      const seen = [...first.data.map((s) => s.slug)];
      let cursor: string | null = first.next_cursor;
      while (cursor !== null) {
        const page = await list(`/api/v1/statements?limit=5&cursor=${encodeURIComponent(cursor)}`);
        seen.push(...page.data.map((s) => s.slug));
        cursor = page.next_cursor;
      }
      assert.deepEqual(
        seen,
        everything.data.map((s) => s.slug),
        'no statement skipped or repeated across pages',
      );
      const fresh = await list('/api/v1/statements?limit=1');
      assert.equal(fresh.data[0]?.title, 'Arrives while someone pages');
    });

    test('bad filters get a 400 problem that names the parameter', async () => {
      await expectProblem('/api/v1/statements?limit=0', 400, 'limit');
      await expectProblem('/api/v1/statements?limit=lots', 400, 'limit');
      await expectProblem('/api/v1/statements?country=XX', 400, 'country');
      await expectProblem('/api/v1/statements?organisation=no-such-group', 400, 'organisation');
      await expectProblem('/api/v1/statements?language=not%20a%20tag', 400, 'language');
      await expectProblem(
        '/api/v1/statements?published_after=last%20tuesday',
        400,
        'published_after',
      );
      await expectProblem(
        '/api/v1/statements?published_before=2025-13-45',
        400,
        'published_before',
      );
      await expectProblem('/api/v1/statements?cursor=bm90LWEtY3Vyc29y', 400, 'cursor');
      await expectProblem('/api/v1/statements?organization=typo', 400, 'organization');
      await expectProblem('/api/v1/statements/NOT_A_SLUG', 400, 'slug');
      await expectProblem(`/api/v1/search?q=${'x'.repeat(201)}`, 400, 'q');
      await expectProblem('/api/v1/search', 400, 'q');
    });

    test('one statement by slug, with its body and translations; drafts and unknown slugs are 404', async () => {
      const { response, body } = await json(
        '/api/v1/statements/domestic-work-is-work-a-joint-statement-for-8-march',
      );
      assert.equal(response.status, 200);
      assert.equal(body.language, 'en');
      assert.match(String(body.body_html), /<p>/);
      const translations = body.translations as {
        language: string;
        url: string;
        is_original: boolean;
      }[];
      const spanish = translations.find((translation) => translation.language === 'es');
      assert.ok(spanish, 'the Spanish translation is linked');
      assert.equal(spanish.is_original, false);
      assert.ok(spanish.url.startsWith(BASE_URL));
      const draft = await json(
        '/api/v1/statements/response-to-the-consultation-on-the-rental-standards-bill',
      );
      assert.equal(draft.response.status, 404);
      assert.match(draft.response.headers.get('content-type') ?? '', /problem\+json/);
      assert.equal((await json('/api/v1/statements/no-such-statement')).response.status, 404);
    });

    test('organisations and pages, each by slug', async () => {
      const organisations = (await json('/api/v1/organisations')).body.data as {
        slug: string;
        country: string;
        url: string;
      }[];
      assert.equal(organisations.length, 6);
      const nahr = organisations.find((organisation) => organisation.slug === 'nahr-association');
      assert.equal(nahr?.country, 'LB');
      assert.equal(nahr?.url, `${BASE_URL}/organisations/nahr-association`);
      const one = await json('/api/v1/organisations/nahr-association');
      assert.equal(one.response.status, 200);
      assert.equal(one.body.slug, 'nahr-association');
      assert.equal((await json('/api/v1/organisations/nobody')).response.status, 404);

      const pages = (await json('/api/v1/pages')).body.data as { slug: string; url: string }[];
      const about = pages.find((page) => page.slug === 'about');
      assert.equal(about?.url, `${BASE_URL}/about`);
      const page = await json('/api/v1/pages/about');
      assert.equal(page.response.status, 200);
      assert.match(String(page.body.body_html), /<p>/);
    });

    test('search finds statements without accents, with escaped snippets and filters', async () => {
      const { response, body } = await json('/api/v1/search?q=karacamli');
      assert.equal(response.status, 200, JSON.stringify(body));
      const hits = body.data as {
        slug: string;
        url: string;
        snippet_html: string;
        language: string;
      }[];
      assert.ok(
        hits.some((hit) => hit.slug === 'after-the-karacamli-earthquake-what-solidarity-needs-now'),
      );
      assert.ok((body.total as number) >= hits.length);
      for (const hit of hits) {
        assert.ok(hit.url.startsWith(BASE_URL));
        assert.doesNotMatch(hit.snippet_html.replaceAll(/<\/?mark>/g, ''), /<[a-z]/i);
      }
      const filtered = await json('/api/v1/search?q=karacamli&language=ar');
      const arabicHits = filtered.body.data as { language: string }[];
      assert.ok(arabicHits.every((hit) => hit.language === 'ar'));
      const nothing = await json('/api/v1/search?q=%22%22%20*%20NEAR');
      assert.equal(nothing.response.status, 200);
      assert.equal(nothing.body.total, 0);
    });

    test('unknown API paths answer a JSON problem, not the HTML site', async () => {
      const { response, body } = await json('/api/v1/nothing-here');
      assert.equal(response.status, 404);
      assert.equal(body.title, 'Not found');
      assert.match(String(body.detail), /\/api\/v1\/nothing-here/);
    });
  });
}
