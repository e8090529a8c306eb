import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { DatabaseHandle } from '../src/db/connect.ts';
import { addUser, BackOfficeClient, TEST_PASSWORD } from './helpers/browser-session.ts';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

type Who = 'signed out' | 'admin' | 'editor' | 'contributor' | 'other contributor';
const EVERYONE: Who[] = ['signed out', 'admin', 'editor', 'contributor', 'other contributor'];
const SIGNED_IN: Who[] = ['admin', 'editor', 'contributor', 'other contributor'];
const STAFF: Who[] = ['admin', 'editor'];
const ADMIN: Who[] = ['admin'];

/** Fixtures each attempt may create, so one role's action never changes what the next role meets. */
interface Fixtures {
  handle: DatabaseHandle;
  ids: Record<string, number>;
  draftStatement(): Promise<number>;
  publishedStatement(): Promise<number>;
  throwawayUser(): Promise<number>;
}

interface Attempt {
  path: string;
  form?: Record<string, string>;
}

interface MatrixRow {
  method: 'GET' | 'POST';
  route: string;
  allowed: Who[];
  attempt(fixtures: Fixtures, who: Who): Promise<Attempt>;
  /** For sign-in itself a 401 is the expected answer to wrong credentials, not a refusal. */
  authenticationRoute?: boolean;
}

const at = (path: string, form?: Record<string, string>) => async (): Promise<Attempt> =>
  form ? { path, form } : { path };

/** A switched-off webhook for one attempt, so no row sends anything over the network. */
async function throwawayWebhook(handle: DatabaseHandle): Promise<number> {
  const now = new Date();
  const { id } = await handle.db
    .insertInto('webhooks')
    .values({
      url: 'https://receiver.example.org/matrix',
      description: 'matrix',
      events: '["statement.published"]',
      active: 0,
      secret_sealed: 'v1.not.real',
      created_by: null,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

const EMAILS: Record<Who, string> = {
  'signed out': 'admin@example.org',
  admin: 'admin@example.org',
  editor: 'editor@example.org',
  contributor: 'contributor@example.org',
  'other contributor': 'other@example.org',
};

/** A fresh access token of the acting user (of an admin when signed out), so revoking it is theirs to do. */
async function tokenOf(handle: DatabaseHandle, who: Who): Promise<number> {
  const user = await handle.db
    .selectFrom('users')
    .select('id')
    .where('email', '=', EMAILS[who])
    .executeTakeFirstOrThrow();
  const row = await handle.db
    .insertInto('access_tokens')
    .values({
      user_id: user.id,
      name: `matrix ${who}`,
      scope: 'read',
      token_hash: randomBytes(32).toString('hex'),
      token_hint: 'cq_matrix',
      created_at: new Date(),
      expires_at: null,
      last_used_at: null,
      revoked_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Every back-office route, and who may use it. A route missing here fails the test. */
const MATRIX: MatrixRow[] = [
  { method: 'GET', route: '/admin/login', allowed: EVERYONE, attempt: at('/admin/login') },
  {
    method: 'POST',
    route: '/admin/login',
    allowed: EVERYONE,
    attempt: at('/admin/login', { email: 'nobody@example.org', password: 'wrong password' }),
    authenticationRoute: true,
  },
  { method: 'GET', route: '/admin', allowed: SIGNED_IN, attempt: at('/admin') },
  {
    method: 'GET',
    route: '/admin/statements',
    allowed: SIGNED_IN,
    attempt: at('/admin/statements'),
  },
  {
    method: 'GET',
    route: '/admin/statements/new',
    allowed: SIGNED_IN,
    attempt: at('/admin/statements/new'),
  },
  {
    method: 'POST',
    route: '/admin/statements',
    allowed: SIGNED_IN,
    attempt: at('/admin/statements', { title: '', body: '' }),
  },
  {
    method: 'GET',
    route: '/admin/statements/:id',
    allowed: ['admin', 'editor', 'contributor'],
    attempt: async (fixtures) => ({ path: `/admin/statements/${await fixtures.draftStatement()}` }),
  },
  {
    method: 'POST',
    route: '/admin/statements/:id',
    allowed: ['admin', 'editor', 'contributor'],
    attempt: async (fixtures) => ({
      path: `/admin/statements/${await fixtures.draftStatement()}`,
      form: { title: '', version: '1' },
    }),
  },
  {
    method: 'POST',
    route: '/admin/statements/:id/transition',
    allowed: STAFF,
    attempt: async (fixtures) => ({
      path: `/admin/statements/${await fixtures.draftStatement()}/transition`,
      form: { transition: 'publish', version: '1' },
    }),
  },
  {
    method: 'POST',
    route: '/admin/statements/:id/delete',
    allowed: ADMIN,
    attempt: async (fixtures) => ({
      path: `/admin/statements/${await fixtures.draftStatement()}/delete`,
      form: {},
    }),
  },
  {
    method: 'GET',
    route: '/admin/statements/:id/revisions',
    allowed: ['admin', 'editor', 'contributor'],
    attempt: async (fixtures) => ({
      path: `/admin/statements/${await fixtures.draftStatement()}/revisions`,
    }),
  },
  {
    method: 'POST',
    route: '/admin/statements/:id/revisions/:number/restore',
    allowed: STAFF,
    attempt: async (fixtures) => ({
      path: `/admin/statements/${await fixtures.draftStatement()}/revisions/1/restore`,
      form: {},
    }),
  },
  {
    method: 'POST',
    route: '/admin/preview',
    allowed: SIGNED_IN,
    attempt: at('/admin/preview', { body: '*hello*' }),
  },
  {
    method: 'GET',
    route: '/admin/organisations',
    allowed: STAFF,
    attempt: at('/admin/organisations'),
  },
  {
    method: 'GET',
    route: '/admin/organisations/new',
    allowed: STAFF,
    attempt: at('/admin/organisations/new'),
  },
  {
    method: 'POST',
    route: '/admin/organisations',
    allowed: STAFF,
    attempt: at('/admin/organisations', { name: '' }),
  },
  {
    method: 'GET',
    route: '/admin/organisations/:id',
    allowed: STAFF,
    attempt: async (fixtures) => ({ path: `/admin/organisations/${fixtures.ids.liffey}` }),
  },
  {
    method: 'POST',
    route: '/admin/organisations/:id',
    allowed: STAFF,
    attempt: async (fixtures) => ({
      path: `/admin/organisations/${fixtures.ids.liffey}`,
      form: { name: '' },
    }),
  },
  {
    method: 'POST',
    route: '/admin/organisations/:id/delete',
    allowed: STAFF,
    attempt: async (fixtures) => ({
      path: `/admin/organisations/${fixtures.ids.liffey}/delete`,
      form: {},
    }),
  },
  { method: 'GET', route: '/admin/pages', allowed: STAFF, attempt: at('/admin/pages') },
  { method: 'GET', route: '/admin/pages/new', allowed: STAFF, attempt: at('/admin/pages/new') },
  {
    method: 'POST',
    route: '/admin/pages',
    allowed: STAFF,
    attempt: at('/admin/pages', { title: '' }),
  },
  {
    method: 'GET',
    route: '/admin/pages/:id',
    allowed: STAFF,
    attempt: async (fixtures) => ({ path: `/admin/pages/${fixtures.ids.about}` }),
  },
  {
    method: 'POST',
    route: '/admin/pages/:id',
    allowed: STAFF,
    attempt: async (fixtures) => ({
      path: `/admin/pages/${fixtures.ids.about}`,
      form: { title: '' },
    }),
  },
  {
    method: 'POST',
    route: '/admin/pages/:id/delete',
    allowed: STAFF,
    attempt: async (fixtures) => ({ path: `/admin/pages/${fixtures.ids.about}/delete`, form: {} }),
  },
  { method: 'GET', route: '/admin/settings', allowed: ADMIN, attempt: at('/admin/settings') },
  {
    method: 'POST',
    route: '/admin/settings',
    allowed: ADMIN,
    attempt: at('/admin/settings', { title: '' }),
  },
  {
    method: 'GET',
    route: '/admin/login/two-factor',
    allowed: EVERYONE,
    attempt: at('/admin/login/two-factor'),
  },
  {
    method: 'POST',
    route: '/admin/login/two-factor',
    allowed: EVERYONE,
    attempt: at('/admin/login/two-factor', { code: '000000' }),
    authenticationRoute: true,
  },
  { method: 'GET', route: '/admin/users', allowed: ADMIN, attempt: at('/admin/users') },
  { method: 'GET', route: '/admin/users/new', allowed: ADMIN, attempt: at('/admin/users/new') },
  {
    method: 'POST',
    route: '/admin/users',
    allowed: ADMIN,
    attempt: at('/admin/users', { email: '' }),
  },
  {
    method: 'GET',
    route: '/admin/users/:id',
    allowed: ADMIN,
    attempt: async (fixtures) => ({ path: `/admin/users/${await fixtures.throwawayUser()}` }),
  },
  {
    method: 'POST',
    route: '/admin/users/:id',
    allowed: ADMIN,
    attempt: async (fixtures) => ({
      path: `/admin/users/${await fixtures.throwawayUser()}`,
      form: { role: 'nonsense' },
    }),
  },
  {
    method: 'POST',
    route: '/admin/users/:id/disable',
    allowed: ADMIN,
    attempt: async (fixtures) => ({
      path: `/admin/users/${await fixtures.throwawayUser()}/disable`,
      form: {},
    }),
  },
  {
    method: 'POST',
    route: '/admin/users/:id/enable',
    allowed: ADMIN,
    attempt: async (fixtures) => ({
      path: `/admin/users/${await fixtures.throwawayUser()}/enable`,
      form: {},
    }),
  },
  { method: 'GET', route: '/admin/account', allowed: SIGNED_IN, attempt: at('/admin/account') },
  {
    method: 'GET',
    route: '/admin/account/tokens',
    allowed: SIGNED_IN,
    attempt: at('/admin/account/tokens'),
  },
  {
    method: 'POST',
    route: '/admin/account/tokens',
    allowed: SIGNED_IN,
    attempt: at('/admin/account/tokens', { name: '', scope: 'read', lifetime: '30' }),
  },
  {
    method: 'POST',
    route: '/admin/account/tokens/:id/revoke',
    allowed: SIGNED_IN,
    attempt: async (fixtures, who) => ({
      path: `/admin/account/tokens/${await tokenOf(fixtures.handle, who)}/revoke`,
      form: {},
    }),
  },
  {
    method: 'POST',
    route: '/admin/account/password',
    allowed: SIGNED_IN,
    attempt: at('/admin/account/password', {}),
  },
  {
    method: 'POST',
    route: '/admin/account/two-factor/start',
    allowed: SIGNED_IN,
    attempt: at('/admin/account/two-factor/start', {}),
  },
  {
    method: 'POST',
    route: '/admin/account/two-factor/confirm',
    allowed: SIGNED_IN,
    attempt: at('/admin/account/two-factor/confirm', {}),
  },
  {
    method: 'POST',
    route: '/admin/account/two-factor/disable',
    allowed: SIGNED_IN,
    attempt: at('/admin/account/two-factor/disable', {}),
  },
  {
    method: 'POST',
    route: '/admin/account/two-factor/recovery-codes',
    allowed: SIGNED_IN,
    attempt: at('/admin/account/two-factor/recovery-codes', {}),
  },
  { method: 'GET', route: '/admin/audit', allowed: ADMIN, attempt: at('/admin/audit') },
  { method: 'GET', route: '/admin/media', allowed: SIGNED_IN, attempt: at('/admin/media') },
  {
    method: 'POST',
    route: '/admin/media',
    allowed: SIGNED_IN,
    attempt: at('/admin/media', { alt: '' }),
  },
  {
    method: 'POST',
    route: '/admin/statements/:id/translations',
    allowed: ['admin', 'editor', 'contributor'],
    attempt: async (fixtures) => ({
      path: `/admin/statements/${await fixtures.draftStatement()}/translations`,
      form: { language: 'fr' },
    }),
  },
  { method: 'GET', route: '/admin/webhooks', allowed: ADMIN, attempt: at('/admin/webhooks') },
  {
    method: 'GET',
    route: '/admin/webhooks/new',
    allowed: ADMIN,
    attempt: at('/admin/webhooks/new'),
  },
  {
    method: 'POST',
    route: '/admin/webhooks',
    allowed: ADMIN,
    attempt: at('/admin/webhooks', { url: '' }),
  },
  {
    method: 'GET',
    route: '/admin/webhooks/:id',
    allowed: ADMIN,
    attempt: async (fixtures) => ({
      path: `/admin/webhooks/${await throwawayWebhook(fixtures.handle)}`,
    }),
  },
  {
    method: 'POST',
    route: '/admin/webhooks/:id',
    allowed: ADMIN,
    attempt: async (fixtures) => ({
      path: `/admin/webhooks/${await throwawayWebhook(fixtures.handle)}`,
      form: { url: '' },
    }),
  },
  {
    method: 'POST',
    route: '/admin/webhooks/:id/rotate-secret',
    allowed: ADMIN,
    attempt: async (fixtures) => ({
      path: `/admin/webhooks/${await throwawayWebhook(fixtures.handle)}/rotate-secret`,
      form: {},
    }),
  },
  {
    method: 'POST',
    route: '/admin/webhooks/:id/test',
    allowed: ADMIN,
    attempt: async (fixtures) => ({
      path: `/admin/webhooks/${await throwawayWebhook(fixtures.handle)}/test`,
      form: {},
    }),
  },
  {
    method: 'POST',
    route: '/admin/webhooks/:id/delete',
    allowed: ADMIN,
    attempt: async (fixtures) => ({
      path: `/admin/webhooks/${await throwawayWebhook(fixtures.handle)}/delete`,
      form: {},
    }),
  },
  // Last, because it ends the sessions the rows above use.
  { method: 'POST', route: '/admin/logout', allowed: EVERYONE, attempt: at('/admin/logout', {}) },
];

/** Routes that are not actions: static files, and Fastify's automatic HEAD twins of GET routes. */
function isExempt(method: string, url: string): boolean {
  return method === 'HEAD' || url.startsWith('/admin/assets/');
}

for (const engine of await testEngines()) {
  describe(`[${engine}] authorization matrix of the back office`, () => {
    let site: TestSite;
    let fixtures: Fixtures;
    const clients = new Map<Who, BackOfficeClient>();

    before(async () => {
      site = await startTestSite(engine);
      await addUser(site.handle, 'admin@example.org', 'admin');
      await addUser(site.handle, 'editor@example.org', 'editor');
      await addUser(site.handle, 'contributor@example.org', 'contributor', ['liffeyside-tenants']);
      await addUser(site.handle, 'other@example.org', 'contributor', ['steki-patras']);
      const liffey = await site.handle.db
        .selectFrom('organisations')
        .select('id')
        .where('slug', '=', 'liffeyside-tenants')
        .executeTakeFirstOrThrow();
      let counter = 0;
      const makeStatement = async (status: string) => {
        counter += 1;
        const now = new Date();
        const { id } = await site.handle.db
          .insertInto('statements')
          .values({
            slug: `matrix-${status}-${counter}`,
            title: `Matrix ${status} ${counter}`,
            body_md: 'Text.',
            body_html: '<p>Text.</p>',
            summary_md: null,
            summary_html: null,
            language: 'en',
            status,
            published_at: now,
            translation_of_id: null,
            created_at: now,
            updated_at: now,
            created_by: null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await site.handle.db
          .insertInto('statement_signatories')
          .values({ statement_id: id, organisation_id: liffey.id, position: 0 })
          .execute();
        await site.handle.db
          .insertInto('statement_revisions')
          .values({
            statement_id: id,
            number: 1,
            title: 'r',
            slug: `matrix-${status}-${counter}`,
            body_md: 'Text.',
            summary_md: null,
            language: 'en',
            published_at: now,
            signatory_ids: `[${liffey.id}]`,
            status,
            author_user_id: null,
            author_label: 'test',
            created_at: now,
          })
          .execute();
        return id;
      };
      fixtures = {
        handle: site.handle,
        ids: {
          liffey: liffey.id,
          about: (
            await site.handle.db
              .selectFrom('pages')
              .select('id')
              .where('slug', '=', 'about')
              .executeTakeFirstOrThrow()
          ).id,
        },
        draftStatement: () => makeStatement('draft'),
        publishedStatement: () => makeStatement('published'),
        throwawayUser: () => {
          counter += 1;
          return addUser(site.handle, `throwaway-${counter}@example.org`, 'editor');
        },
      };
      clients.set('signed out', new BackOfficeClient(site.origin));
      for (const [who, email] of [
        ['admin', 'admin@example.org'],
        ['editor', 'editor@example.org'],
        ['contributor', 'contributor@example.org'],
        ['other contributor', 'other@example.org'],
      ] as const) {
        const client = new BackOfficeClient(site.origin);
        assert.equal((await client.signIn(email, TEST_PASSWORD)).status, 303, who);
        clients.set(who, client);
      }
    });
    after(() => site?.close());

    test('every back-office route is in the matrix', () => {
      const listed = new Set(MATRIX.map((row) => `${row.method} ${row.route}`));
      const missing = site.app.routes
        .filter((route) => route.url.startsWith('/admin') && !isExempt(route.method, route.url))
        .map((route) => `${route.method} ${route.url}`)
        .filter((route) => !listed.has(route));
      assert.deepEqual(missing, [], `add these routes to MATRIX: ${missing.join(', ')}`);
    });

    for (const row of MATRIX) {
      test(`${row.method} ${row.route}`, async () => {
        for (const who of EVERYONE) {
          const client = clients.get(who);
          assert.ok(client);
          const attempt = await row.attempt(fixtures, who);
          await client.get('/admin/login');
          if (who !== 'signed out') await client.get('/admin');
          const response =
            attempt.form === undefined
              ? await client.get(attempt.path)
              : await client.post(attempt.path, attempt.form);
          const location = response.headers.get('location') ?? '';
          const refusals = row.authenticationRoute ? [403] : [401, 403, 404];
          const denied =
            refusals.includes(response.status) || location.startsWith('/admin/login?next=');
          const expected = row.allowed.includes(who);
          assert.equal(
            !denied,
            expected,
            `${who} ${expected ? 'should' : 'should not'} be able to ${row.method} ${attempt.path} (got ${response.status} ${location})`,
          );
          assert.notEqual(
            response.status,
            500,
            `${who}: ${row.method} ${attempt.path} answered 500`,
          );
        }
      });
    }
  });
}
