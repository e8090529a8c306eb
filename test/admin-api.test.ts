import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type App, buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/http/logger.ts';
import { addUser, BackOfficeClient, TEST_PASSWORD } from './helpers/browser-session.ts';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

const BASE_URL = 'https://statements.example.net';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface ApiAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

for (const engine of await testEngines()) {
  describe(`Admin API with personal access tokens (${engine})`, () => {
    let site: TestSite;
    const tokens: Record<string, string> = {};

    const call = async (
      token: string | null,
      method: string,
      path: string,
      body?: unknown,
    ): Promise<ApiAnswer> => {
      const headers: Record<string, string> = {};
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${site.origin}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
      };
    };

    /** Signs in to the back office and creates a token there, as a person would. */
    const createTokenInBackOffice = async (
      email: string,
      name: string,
      scope: 'read' | 'write',
    ) => {
      const client = new BackOfficeClient(site.origin);
      assert.equal((await client.signIn(email, TEST_PASSWORD)).status, 303);
      await client.get('/admin/account/tokens');
      const created = await client.post('/admin/account/tokens', { name, scope, lifetime: '30' });
      assert.equal(created.status, 201, created.html.slice(0, 500));
      const token = /id="new-token-value"[^>]*value="(cq_[A-Za-z0-9_-]{43})"/.exec(
        created.html,
      )?.[1];
      assert.ok(token, 'the new token is shown');
      const again = await client.get('/admin/account/tokens');
      assert.ok(!again.html.includes(token), 'the token is shown only once');
      assert.ok(again.html.includes(name));
      return { token, client };
    };

    const draft = (overrides: Record<string, unknown> = {}) => ({
      title: 'Rent caps now, before the winter',
      body: 'We call on the city council to **cap rents** before the winter.',
      summary: 'A call to cap rents.',
      language: 'en',
      organisations: ['liffeyside-tenants'],
      ...overrides,
    });

    before(async () => {
      site = await startTestSite(engine, {
        env: { BASE_URL, API_RATE_LIMIT_PER_MINUTE: '1000' },
      });
      await addUser(site.handle, 'editor@example.org', 'editor');
      await addUser(site.handle, 'contributor@example.org', 'contributor', ['liffeyside-tenants']);
      await addUser(site.handle, 'reader@example.org', 'editor');
      tokens.editor = (
        await createTokenInBackOffice('editor@example.org', 'Editor sync', 'write')
      ).token;
      tokens.contributor = (
        await createTokenInBackOffice('contributor@example.org', 'Tenants drafts', 'write')
      ).token;
      tokens.reader = (
        await createTokenInBackOffice('reader@example.org', 'Dashboard', 'read')
      ).token;
    });
    after(() => site?.close());

    test('tokens are stored only as hashes', async () => {
      const rows = await site.handle.db.selectFrom('access_tokens').selectAll().execute();
      assert.equal(rows.length, 3);
      for (const row of rows) {
        for (const token of Object.values(tokens)) {
          assert.ok(!Object.values(row).some((value) => String(value).includes(token.slice(3))));
        }
        assert.match(row.token_hash, /^[0-9a-f]{64}$/);
      }
    });

    test('no token, a malformed one or an unknown one gets 401 with a challenge', async () => {
      for (const token of [null, 'not-a-token', `cq_${'A'.repeat(43)}`]) {
        const answer = await call(token, 'GET', '/api/v1/admin/statements');
        assert.equal(answer.status, 401, String(token));
        assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer /);
        assert.match(answer.headers.get('content-type') ?? '', /problem\+json/);
        assert.ok(String(answer.body.detail).length > 20);
      }
    });

    test('an editor drafts, edits, publishes and unpublishes; the public site follows', async () => {
      const created = await call(tokens.editor ?? '', 'POST', '/api/v1/admin/statements', draft());
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.status, 'draft');
      assert.equal(created.body.url, null);
      const id = created.body.id as number;
      assert.equal(created.headers.get('location'), `/api/v1/admin/statements/${id}`);
      const slug = created.body.slug as string;
      assert.equal((await site.get(`/statements/${slug}`)).status, 404);

      const edited = await call(tokens.editor ?? '', 'PUT', `/api/v1/admin/statements/${id}`, {
        ...draft({ title: 'Rent caps now, before the first frost' }),
        slug,
        version: created.body.version,
      });
      assert.equal(edited.status, 200, JSON.stringify(edited.body));
      assert.equal(edited.body.title, 'Rent caps now, before the first frost');
      assert.equal(edited.body.version, (created.body.version as number) + 1);

      const stale = await call(tokens.editor ?? '', 'PUT', `/api/v1/admin/statements/${id}`, {
        ...draft({ title: 'A lost update' }),
        version: created.body.version,
      });
      assert.equal(stale.status, 409);

      const published = await call(
        tokens.editor ?? '',
        'POST',
        `/api/v1/admin/statements/${id}/transitions`,
        { transition: 'publish', version: edited.body.version },
      );
      assert.equal(published.status, 200, JSON.stringify(published.body));
      assert.equal(published.body.status, 'published');
      assert.equal(published.body.url, `${BASE_URL}/statements/${slug}`);
      const page = await site.get(`/statements/${slug}`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Rent caps now, before the first frost/);
      const listed = await fetch(`${site.origin}/api/v1/statements?limit=1`);
      assert.equal(((await listed.json()) as { data: { slug: string }[] }).data[0]?.slug, slug);

      const unpublished = await call(
        tokens.editor ?? '',
        'POST',
        `/api/v1/admin/statements/${id}/transitions`,
        { transition: 'unpublish', version: published.body.version },
      );
      assert.equal(unpublished.status, 200);
      assert.equal((await site.get(`/statements/${slug}`)).status, 404);

      const audit = await site.handle.db
        .selectFrom('audit_log')
        .select(['action', 'actor_label'])
        .where('subject_type', '=', 'statement')
        .where('subject_id', '=', id)
        .orderBy('id')
        .execute();
      assert.deepEqual(
        audit.map((entry) => entry.action),
        ['statement.created', 'statement.updated', 'statement.published', 'statement.unpublished'],
      );
      for (const entry of audit)
        assert.match(entry.actor_label, /editor@example\.org \(API token “Editor sync”\)/);
    });

    test('a contributor token acts with the contributor’s rights: drafts yes, publishing no', async () => {
      const created = await call(
        tokens.contributor ?? '',
        'POST',
        '/api/v1/admin/statements',
        draft({ title: 'Our own draft' }),
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const publish = await call(
        tokens.contributor ?? '',
        'POST',
        `/api/v1/admin/statements/${created.body.id}/transitions`,
        { transition: 'publish', version: created.body.version },
      );
      assert.equal(publish.status, 403);
      const submit = await call(
        tokens.contributor ?? '',
        'POST',
        `/api/v1/admin/statements/${created.body.id}/transitions`,
        { transition: 'submit', version: created.body.version },
      );
      assert.equal(submit.status, 200);
      assert.equal(submit.body.status, 'submitted');

      const others = await call(
        tokens.contributor ?? '',
        'POST',
        '/api/v1/admin/statements',
        draft({ organisations: ['nahr-association'] }),
      );
      assert.equal(others.status, 422);
      assert.equal((others.body.errors as { pointer: string }[])[0]?.pointer, '/organisations');

      const foreign = await site.handle.db
        .selectFrom('statements')
        .select('statements.id')
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('statement_signatories')
                .innerJoin(
                  'organisations',
                  'organisations.id',
                  'statement_signatories.organisation_id',
                )
                .select('statement_signatories.statement_id')
                .whereRef('statement_signatories.statement_id', '=', 'statements.id')
                .where('organisations.slug', '=', 'liffeyside-tenants'),
            ),
          ),
        )
        .executeTakeFirstOrThrow();
      const hidden = await call(
        tokens.contributor ?? '',
        'GET',
        `/api/v1/admin/statements/${foreign.id}`,
      );
      assert.equal(hidden.status, 404);
      const listing = await call(
        tokens.contributor ?? '',
        'GET',
        '/api/v1/admin/statements?per_page=100',
      );
      assert.equal(listing.status, 200);
      for (const statement of listing.body.data as { organisations: { slug: string }[] }[])
        assert.ok(statement.organisations.some((o) => o.slug === 'liffeyside-tenants'));

      const organisation = await call(
        tokens.contributor ?? '',
        'POST',
        '/api/v1/admin/organisations',
        {
          name: 'Not allowed',
          country: 'IE',
          language: 'en',
        },
      );
      assert.equal(organisation.status, 403);
    });

    test('a read token reads but cannot write', async () => {
      const listing = await call(
        tokens.reader ?? '',
        'GET',
        '/api/v1/admin/statements?status=draft',
      );
      assert.equal(listing.status, 200);
      assert.ok((listing.body.data as { status: string }[]).every((s) => s.status === 'draft'));
      const write = await call(tokens.reader ?? '', 'POST', '/api/v1/admin/statements', draft());
      assert.equal(write.status, 403);
      assert.match(String(write.body.detail), /read-only/);
      assert.match(write.headers.get('www-authenticate') ?? '', /insufficient_scope/);
    });

    test('bad bodies get field errors naming each field, and nothing is written', async () => {
      const before = await site.handle.db
        .selectFrom('statements')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow();
      const cases: [unknown, number, string][] = [
        [draft({ language: 'not a language' }), 422, '/language'],
        [draft({ organisations: ['nobody-at-all'] }), 422, '/organisations'],
        [draft({ published_at: 'soon' }), 400, '/published_at'],
        [draft({ colour: 'red' }), 400, '/colour'],
        [{ body: 'no title' }, 400, '/title'],
      ];
      for (const [body, status, pointer] of cases) {
        const answer = await call(tokens.editor ?? '', 'POST', '/api/v1/admin/statements', body);
        assert.equal(answer.status, status, JSON.stringify(answer.body));
        const errors = answer.body.errors as { pointer?: string }[];
        assert.ok(
          errors.some((error) => error.pointer === pointer),
          JSON.stringify(answer.body),
        );
      }
      const notJson = await fetch(`${site.origin}/api/v1/admin/statements`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.editor}`, 'content-type': 'application/json' },
        body: '{"title": ',
      });
      assert.equal(notJson.status, 400);
      assert.match(notJson.headers.get('content-type') ?? '', /problem\+json/);
      const after = await site.handle.db
        .selectFrom('statements')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(after.count), Number(before.count));
    });

    test('organisations and pages through the API, audited', async () => {
      const created = await call(tokens.editor ?? '', 'POST', '/api/v1/admin/organisations', {
        name: 'Harbour Workers’ Circle',
        country: 'PT',
        language: 'pt',
        description: 'Dock workers in Lisbon.',
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const publicList = await fetch(`${site.origin}/api/v1/organisations`);
      const names = ((await publicList.json()) as { data: { name: string }[] }).data.map(
        (o) => o.name,
      );
      assert.ok(names.includes('Harbour Workers’ Circle'));
      const updated = await call(
        tokens.editor ?? '',
        'PUT',
        `/api/v1/admin/organisations/${created.body.id}`,
        {
          name: 'Harbour Workers’ Circle',
          country: 'XX',
          language: 'pt',
        },
      );
      assert.equal(updated.status, 422);
      assert.equal((updated.body.errors as { pointer: string }[])[0]?.pointer, '/country');
      const removed = await call(
        tokens.editor ?? '',
        'DELETE',
        `/api/v1/admin/organisations/${created.body.id}`,
      );
      assert.equal(removed.status, 204);
      const inUse = await call(tokens.editor ?? '', 'DELETE', '/api/v1/admin/organisations/1');
      assert.equal(inUse.status, 409);

      const page = await call(tokens.editor ?? '', 'POST', '/api/v1/admin/pages', {
        title: 'Press contacts',
        body: 'Write to press@example.org.',
      });
      assert.equal(page.status, 201, JSON.stringify(page.body));
      assert.equal(page.body.slug, 'press-contacts');
      assert.equal((await site.get('/press-contacts')).status, 200);
      const actions = await site.handle.db
        .selectFrom('audit_log')
        .select('action')
        .where('actor_label', 'like', '%API token%')
        .execute();
      const seen = new Set(actions.map((entry) => entry.action));
      for (const action of ['organisation.created', 'organisation.deleted', 'page.created'])
        assert.ok(seen.has(action), action);
    });

    test('a revoked token stops working at once', async () => {
      const { token, client } = await createTokenInBackOffice(
        'editor@example.org',
        'Short-lived',
        'read',
      );
      assert.equal((await call(token, 'GET', '/api/v1/admin/pages')).status, 200);
      const page = await client.get('/admin/account/tokens');
      const id = /action="\/admin\/account\/tokens\/(\d+)\/revoke"[\s\S]*?Revoke Short-lived/.exec(
        page.html,
      )?.[1];
      assert.ok(id);
      const revoked = await client.post(`/admin/account/tokens/${id}/revoke`, {});
      assert.equal(revoked.status, 303);
      assert.equal((await call(token, 'GET', '/api/v1/admin/pages')).status, 401);
      const audit = await site.handle.db
        .selectFrom('audit_log')
        .select('action')
        .where('action', '=', 'access_token.revoked')
        .execute();
      assert.equal(audit.length, 1);
    });

    test('token forms reject bad input with field messages', async () => {
      const client = new BackOfficeClient(site.origin);
      await client.signIn('editor@example.org', TEST_PASSWORD);
      await client.get('/admin/account/tokens');
      const answer = await client.post('/admin/account/tokens', {
        name: '',
        scope: 'admin',
        lifetime: '5',
      });
      assert.equal(answer.status, 400);
      assert.match(answer.html, /Name the token/);
      assert.match(answer.html, /Choose read or write/);
      assert.match(answer.html, /Choose how long/);
      const noCsrf = await client.post(
        '/admin/account/tokens',
        { name: 'x', scope: 'read', lifetime: '30' },
        { csrf: null },
      );
      assert.equal(noCsrf.status, 403);
    });
  });

  for (const store of ['database', 'redis'] as const) {
    describe(`Admin API rate limit shared across processes, in the ${store} (${engine})`, () => {
      let site: TestSite;
      let second: App;
      let secondOrigin: string;
      before(async () => {
        const env: Record<string, string> = { API_RATE_LIMIT_PER_MINUTE: '3' };
        if (store === 'redis') env.REDIS_URL = REDIS_URL;
        site = await startTestSite(engine, { demo: false, env });
        await addUser(site.handle, 'busy@example.org', 'editor');
        // A second server over the same database stands for another process or host.
        second = await buildApp(
          loadConfig({ DATABASE_URL: site.database.url, PORT: '0', LOG_LEVEL: 'warn', ...env }),
          site.handle,
          createLogger({ logLevel: 'warn', logFormat: 'json' }),
        );
        secondOrigin = await second.server.listen({ port: 0, host: '127.0.0.1' });
      });
      after(async () => {
        await second?.close();
        await site?.close();
      });

      test('the fourth request in a minute, through either server, gets 429 with Retry-After', async () => {
        const client = new BackOfficeClient(site.origin);
        await client.signIn('busy@example.org', TEST_PASSWORD);
        await client.get('/admin/account/tokens');
        const created = await client.post('/admin/account/tokens', {
          name: 'Busy',
          scope: 'read',
          lifetime: '7',
        });
        const token = /value="(cq_[A-Za-z0-9_-]{43})"/.exec(created.html)?.[1];
        assert.ok(token);
        const statuses: number[] = [];
        let last: Response | undefined;
        for (const origin of [site.origin, secondOrigin, site.origin, secondOrigin, site.origin]) {
          last = await fetch(`${origin}/api/v1/admin/pages`, {
            headers: { authorization: `Bearer ${token}` },
          });
          statuses.push(last.status);
        }
        assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
        assert.ok(Number(last?.headers.get('retry-after')) > 0);
        assert.equal(last?.headers.get('x-ratelimit-remaining'), '0');
        assert.match(last?.headers.get('content-type') ?? '', /problem\+json/);
      });
    });
  }
}
