import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { addUser, BackOfficeClient, TEST_PASSWORD } from './helpers/browser-session.ts';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

for (const engine of await testEngines()) {
  describe(`[${engine}] session cookies behind HTTPS`, () => {
    let site: TestSite;
    before(async () => {
      site = await startTestSite(engine, {
        demo: false,
        env: { BASE_URL: 'https://statements.example.org' },
      });
      await addUser(site.handle, 'editor@example.org', 'editor');
    });
    after(() => site?.close());

    test('the session cookie is Secure, host-only and HttpOnly', async () => {
      const client = new BackOfficeClient(site.origin);
      await client.get('/admin/login');
      const response = await client.post('/admin/login', {
        email: 'editor@example.org',
        password: TEST_PASSWORD,
      });
      const cookie = response.headers
        .getSetCookie()
        .find((header) => header.startsWith('__Host-communique_session='));
      assert.ok(cookie, response.headers.getSetCookie().join(' | '));
      assert.match(cookie, /; Secure/);
      assert.match(cookie, /; HttpOnly/);
      assert.match(cookie, /; Path=\/(;|$)/);
    });
  });

  describe(`[${engine}] back-office accounts`, () => {
    let site: TestSite;
    before(async () => {
      site = await startTestSite(engine);
      await addUser(site.handle, 'admin@example.org', 'admin');
      await addUser(site.handle, 'editor@example.org', 'editor');
      await addUser(site.handle, 'locked@example.org', 'editor');
    });
    after(() => site?.close());

    test('the sign-in form posts email, password and a CSRF field', async () => {
      const client = new BackOfficeClient(site.origin);
      const page = await client.get('/admin/login');
      assert.equal(page.status, 200);
      assert.match(page.html, /<form method="post" action="\/admin\/login"/);
      assert.match(page.html, /name="email"/);
      assert.match(page.html, /name="password" type="password"/);
      assert.match(page.html, /name="_csrf" value="[A-Za-z0-9_-]{43}"/);
      assert.equal(page.headers.get('cache-control'), 'no-store');
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.doesNotMatch(page.html, /<script>|\son[a-z]+="/);
    });

    test('signed out, the back office redirects to sign-in', async () => {
      const client = new BackOfficeClient(site.origin);
      const response = await client.get('/admin/statements');
      assert.equal(response.status, 303);
      assert.equal(response.headers.get('location'), '/admin/login?next=%2Fadmin%2Fstatements');
    });

    test('a good sign-in rotates the session and lands on the requested page', async () => {
      const client = new BackOfficeClient(site.origin);
      await client.get('/admin/login?next=/admin/statements');
      const response = await client.post('/admin/login', {
        email: 'Editor@Example.org ',
        password: TEST_PASSWORD,
        next: '/admin/statements',
      });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get('location'), '/admin/statements');
      const cookie = response.headers
        .getSetCookie()
        .find((header) => header.startsWith('communique_session='));
      assert.ok(cookie);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Lax/);
      const first = client.cookie('communique_session');
      await client.get('/admin');
      const again = await client.post('/admin/login', {
        email: 'editor@example.org',
        password: TEST_PASSWORD,
      });
      assert.equal(again.status, 303);
      assert.notEqual(
        client.cookie('communique_session'),
        first,
        'a new session id at every sign-in',
      );
      const stored = await site.handle.db.selectFrom('sessions').select('id').execute();
      assert.ok(
        stored.every((row) => row.id !== first),
        'only hashes are stored, and the old session is gone',
      );
    });

    test('a wrong password and an unknown email get the same message', async () => {
      const client = new BackOfficeClient(site.origin);
      await client.get('/admin/login');
      const wrong = await client.post('/admin/login', {
        email: 'editor@example.org',
        password: 'not the password',
      });
      const unknown = await client.post('/admin/login', {
        email: 'nobody@example.org',
        password: 'not the password',
      });
      assert.equal(wrong.status, 401);
      assert.equal(unknown.status, 401);
      const message = (html: string) => /role="alert"[^>]*>([^<]+)</.exec(html)?.[1];
      assert.equal(
        message(wrong.html),
        'That email address and password do not match an active account.',
      );
      assert.equal(message(unknown.html), message(wrong.html));
    });

    test('a form without a valid CSRF token is refused', async () => {
      const client = new BackOfficeClient(site.origin);
      await client.get('/admin/login');
      const missing = await client.post(
        '/admin/login',
        { email: 'editor@example.org', password: TEST_PASSWORD },
        { csrf: null },
      );
      assert.equal(missing.status, 403);
      assert.match(missing.html, /expired or came from another site/);
      const forged = await client.post(
        '/admin/login',
        { email: 'editor@example.org', password: TEST_PASSWORD },
        { csrf: 'x'.repeat(43) },
      );
      assert.equal(forged.status, 403);
      assert.equal(client.cookie('communique_session'), undefined);
    });

    test('five failures lock the account for a while, even with the right password', async () => {
      const client = new BackOfficeClient(site.origin);
      await client.get('/admin/login');
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const response = await client.post('/admin/login', {
          email: 'locked@example.org',
          password: `wrong ${attempt}`,
        });
        assert.equal(response.status, 401);
      }
      const locked = await client.post('/admin/login', {
        email: 'locked@example.org',
        password: TEST_PASSWORD,
      });
      assert.equal(locked.status, 429);
      assert.match(locked.html, /Too many sign-in attempts\. Try again in 1[45] minutes\./);
      assert.ok(Number(locked.headers.get('retry-after')) > 0);
      const other = new BackOfficeClient(site.origin);
      assert.equal(
        (await other.signIn('admin@example.org', TEST_PASSWORD)).status,
        303,
        'other accounts still sign in',
      );
    });

    test('sign-out ends the session', async () => {
      const client = new BackOfficeClient(site.origin);
      await client.signIn('editor@example.org', TEST_PASSWORD);
      assert.equal((await client.get('/admin/statements')).status, 200);
      const response = await client.post('/admin/logout', {});
      assert.equal(response.status, 303);
      assert.equal((await client.get('/admin/statements')).status, 303);
    });

    test('a session ends after two idle hours, and twelve hours after sign-in however busy', async () => {
      const idle = new BackOfficeClient(site.origin);
      await idle.signIn('editor@example.org', TEST_PASSWORD);
      const idleToken = idle.cookie('communique_session') ?? '';
      await site.handle.db
        .updateTable('sessions')
        .set({ last_seen_at: new Date(Date.now() - 2 * 3_600_000 - 1000) })
        .execute();
      assert.equal((await idle.get('/admin/statements')).status, 303, 'idle too long');
      const busy = new BackOfficeClient(site.origin);
      await busy.signIn('editor@example.org', TEST_PASSWORD);
      const busyToken = busy.cookie('communique_session') ?? '';
      await site.handle.db
        .updateTable('sessions')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .execute();
      assert.equal((await busy.get('/admin/statements')).status, 303, 'past the absolute limit');
      assert.ok(idleToken.length > 0 && busyToken.length > 0);
      const hashes = [idleToken, busyToken].map((token) =>
        createHash('sha256').update(token).digest('hex'),
      );
      const left = await site.handle.db
        .selectFrom('sessions')
        .select('id')
        .where('id', 'in', hashes)
        .execute();
      assert.equal(left.length, 0, 'ended sessions are deleted');
    });

    test('failed and successful sign-ins are in the audit log with the address', async () => {
      const rows = await site.handle.db
        .selectFrom('audit_log')
        .select(['action', 'actor_label', 'ip'])
        .execute();
      assert.ok(
        rows.some(
          (row) =>
            row.action === 'login.failed' &&
            row.actor_label === 'nobody@example.org' &&
            row.ip === '127.0.0.1',
        ),
      );
      assert.ok(
        rows.some(
          (row) => row.action === 'login.succeeded' && row.actor_label === 'editor@example.org',
        ),
      );
      assert.ok(rows.some((row) => row.action === 'login.blocked'));
    });
  });
}
