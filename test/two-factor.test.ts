import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { HtmlValidate } from 'html-validate';
import { Secret, TOTP } from 'otpauth';
import { addUser, BackOfficeClient, TEST_PASSWORD } from './helpers/browser-session.ts';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

const validator = new HtmlValidate({
  extends: ['html-validate:recommended', 'html-validate:a11y'],
  rules: { 'no-raw-characters': 'off', 'long-title': 'off' },
});

async function assertValidHtml(html: string): Promise<void> {
  const report = await validator.validateString(html);
  const messages = report.results.flatMap((result) =>
    result.messages.map(
      (message) => `${message.line}:${message.column} ${message.ruleId}: ${message.message}`,
    ),
  );
  assert.deepEqual(messages, [], messages.join('\n'));
}

function pageText(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
}

// A 32+ character secret, as an operator would set for PostgreSQL.
const SERVER_SECRET = 'test-secret-for-two-factor-0123456789abcdef';
const EMAIL = 'twofactor@example.org';

/** The authenticator app: codes from the seed shown on the setup page. */
function authenticator(secret: string): TOTP {
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 });
}

/** A six-digit code that no step in the accepted window produces. */
function wrongCode(app: TOTP): string {
  const valid = new Set(
    [-30_000, 0, 30_000].map((shift) => app.generate({ timestamp: Date.now() + shift })),
  );
  let code = 123456;
  while (valid.has(String(code).padStart(6, '0'))) code += 1;
  return String(code).padStart(6, '0');
}

async function sessionIds(site: TestSite): Promise<string[]> {
  return (await site.handle.db.selectFrom('sessions').select('id').execute()).map((row) => row.id);
}

for (const engine of await testEngines()) {
  describe(`[${engine}] two-factor sign-in`, () => {
    let site: TestSite;
    let user: BackOfficeClient;
    let secret = '';
    let recoveryCodes: string[] = [];

    before(async () => {
      // PostgreSQL has no file to keep a key beside, so it needs COMMUNIQUE_SECRET; SQLite uses a key file.
      site = await startTestSite(engine, {
        demo: false,
        env: engine === 'postgres' ? { COMMUNIQUE_SECRET: SERVER_SECRET } : {},
      });
      await addUser(site.handle, EMAIL, 'editor');
      user = new BackOfficeClient(site.origin);
      assert.equal((await user.signIn(EMAIL, TEST_PASSWORD)).status, 303);
    });
    after(() => site?.close());

    test('turning it on asks for the password, then a code from the app, then shows recovery codes once', async () => {
      const account = await user.get('/admin/account');
      assert.match(account.html, /id="two-factor-status">Off</);
      const noPassword = await user.post('/admin/account/two-factor/start', { password: '' });
      assert.equal(noPassword.status, 422);
      const wrongPassword = await user.post('/admin/account/two-factor/start', {
        password: 'not my password',
      });
      assert.equal(wrongPassword.status, 422);
      assert.match(pageText(wrongPassword.html), /The password is not right/);

      const setup = await user.post('/admin/account/two-factor/start', { password: TEST_PASSWORD });
      assert.equal(setup.status, 200);
      await assertValidHtml(setup.html);
      secret = (
        /id="totp-secret" class="secret">([A-Z2-7 ]+)</.exec(setup.html)?.[1] ?? ''
      ).replace(/ /g, '');
      assert.match(secret, /^[A-Z2-7]{32}$/);
      const uri = (/id="totp-uri" class="secret">([^<]+)</.exec(setup.html)?.[1] ?? '').replace(
        /&amp;/g,
        '&',
      );
      assert.match(uri, /^otpauth:\/\/totp\/[^?]+\?/);
      assert.equal(new URL(uri).searchParams.get('secret'), secret);
      assert.match(setup.html, /autocomplete="one-time-code"/);
      const pending = /name="pending" value="([^"]+)"/.exec(setup.html)?.[1] ?? '';
      assert.ok(!pending.includes(secret), 'the pending seed travels encrypted');

      const app = authenticator(secret);
      const wrong = await user.post('/admin/account/two-factor/confirm', {
        pending,
        code: wrongCode(app),
      });
      assert.equal(wrong.status, 422);
      assert.match(pageText(wrong.html), /That code does not match/);
      await assertValidHtml(wrong.html);
      const tampered = await user.post('/admin/account/two-factor/confirm', {
        pending: `${pending.slice(0, -4)}AAAA`,
        code: app.generate(),
      });
      assert.equal(tampered.status, 400, 'a changed setup token is refused');
      assert.match((await user.get('/admin/account')).html, /id="two-factor-status">Off</);

      await user.get('/admin/account');
      const confirmed = await user.post('/admin/account/two-factor/confirm', {
        pending,
        code: app.generate(),
      });
      assert.equal(confirmed.status, 200);
      await assertValidHtml(confirmed.html);
      recoveryCodes = [...confirmed.html.matchAll(/<li><code>([0-9a-z-]+)<\/code><\/li>/g)].map(
        (match) => match[1] ?? '',
      );
      assert.equal(recoveryCodes.length, 10);
      assert.equal(new Set(recoveryCodes).size, 10);
      const after = await user.get('/admin/account');
      assert.match(after.html, /id="two-factor-status">On</);
      assert.match(after.html, /10 unused recovery codes left/);
      assert.doesNotMatch(
        after.html,
        new RegExp(recoveryCodes[0] ?? 'x'),
        'codes are not shown again',
      );
      await assertValidHtml(after.html);
    });

    test('the stored seed and recovery codes are not in plain text', async () => {
      const row = await site.handle.db
        .selectFrom('users')
        .select(['totp_secret', 'recovery_codes'])
        .where('email', '=', EMAIL)
        .executeTakeFirstOrThrow();
      assert.ok(row.totp_secret !== null);
      assert.ok(!row.totp_secret.includes(secret), 'the base32 seed is not stored');
      assert.ok(!row.totp_secret.toUpperCase().includes(secret.slice(0, 8)));
      assert.match(row.totp_secret, /^v1\./);
      const hashes = JSON.parse(row.recovery_codes ?? '[]') as string[];
      assert.equal(hashes.length, 10);
      for (const code of recoveryCodes) {
        assert.ok(!(row.recovery_codes ?? '').includes(code));
        assert.ok(!(row.recovery_codes ?? '').includes(code.replace(/-/g, '')));
      }
      assert.ok(hashes.every((hash) => /^[0-9a-f]{64}$/.test(hash)));
      if (engine === 'sqlite') {
        const keyFile = `${site.database.url.slice('sqlite:'.length)}.key`;
        assert.equal(statSync(keyFile).mode & 0o777, 0o600, 'the key file is private');
        assert.equal(readFileSync(keyFile).length, 32);
      }
    });

    test('the password alone does not get in; a wrong code is refused; the right one rotates the session', async () => {
      const client = new BackOfficeClient(site.origin);
      await client.get('/admin/login');
      const password = await client.post('/admin/login', {
        email: EMAIL,
        password: TEST_PASSWORD,
        next: '/admin/statements',
      });
      assert.equal(password.status, 303);
      assert.equal(
        password.headers.get('location'),
        '/admin/login/two-factor?next=%2Fadmin%2Fstatements',
      );
      const pendingToken = client.cookie('communique_session');
      assert.ok(pendingToken);
      const blocked = await client.get('/admin/statements');
      assert.equal(blocked.status, 303, 'a half-signed-in session reaches nothing');
      assert.match(blocked.headers.get('location') ?? '', /^\/admin\/login\?/);

      const prompt = await client.get('/admin/login/two-factor?next=%2Fadmin%2Fstatements');
      assert.equal(prompt.status, 200);
      await assertValidHtml(prompt.html);
      assert.match(prompt.html, /name="code"[^>]*autocomplete="one-time-code"/);

      const app = authenticator(secret);
      const wrong = await client.post('/admin/login/two-factor', {
        code: wrongCode(app),
        next: '/admin/statements',
      });
      assert.equal(wrong.status, 401);
      assert.match(pageText(wrong.html), /That code is not right/);
      await assertValidHtml(wrong.html);

      const before = await sessionIds(site);
      // The code for the next step: the one typed at setup is already spent.
      const code = app.generate({ timestamp: Date.now() + 30_000 });
      const right = await client.post('/admin/login/two-factor', {
        code,
        next: '/admin/statements',
      });
      assert.equal(right.status, 303);
      assert.equal(right.headers.get('location'), '/admin/statements');
      const fresh = client.cookie('communique_session');
      assert.ok(fresh && fresh !== pendingToken, 'a new session id after the second factor');
      const afterIds = await sessionIds(site);
      assert.equal(afterIds.filter((id) => !before.includes(id)).length, 1);
      assert.equal(
        before.filter((id) => !afterIds.includes(id)).length,
        1,
        'the pending one is gone',
      );
      assert.equal((await client.get('/admin/statements')).status, 200);

      const audit = await site.handle.db
        .selectFrom('audit_log')
        .select(['detail', 'ip'])
        .where('action', '=', 'login.succeeded')
        .where('actor_label', '=', EMAIL)
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(audit.detail), { second_factor: 'totp' });

      const replay = new BackOfficeClient(site.origin);
      await replay.signIn(EMAIL, TEST_PASSWORD);
      const again = await replay.post('/admin/login/two-factor', { code });
      assert.equal(again.status, 401, 'the same code cannot be used twice');
      assert.match(pageText(again.html), /already been used/);
    });

    test('a recovery code works once, and not twice', async () => {
      const code = recoveryCodes[3] ?? '';
      const first = new BackOfficeClient(site.origin);
      await first.signIn(EMAIL, TEST_PASSWORD);
      const used = await first.post('/admin/login/two-factor', {
        code: ` ${code.toUpperCase()} `,
      });
      assert.equal(used.status, 303);
      assert.equal(used.headers.get('location'), '/admin');
      assert.equal((await first.get('/admin')).status, 200);
      assert.match((await first.get('/admin/account')).html, /9 unused recovery codes left/);

      const second = new BackOfficeClient(site.origin);
      await second.signIn(EMAIL, TEST_PASSWORD);
      const reused = await second.post('/admin/login/two-factor', { code });
      assert.equal(reused.status, 401);
      assert.equal((await second.get('/admin')).status, 303);
    });

    test('the code page without a pending session sends people to sign in', async () => {
      const stranger = new BackOfficeClient(site.origin);
      const page = await stranger.get('/admin/login/two-factor');
      assert.equal(page.status, 303);
      assert.equal(page.headers.get('location'), '/admin/login');
      await stranger.get('/admin/login');
      const post = await stranger.post('/admin/login/two-factor', { code: '123456' });
      assert.equal(post.status, 303);
      assert.equal(post.headers.get('location'), '/admin/login');
    });

    test('wrong codes count toward the account lock', async () => {
      const target = 'locked2fa@example.org';
      await addUser(site.handle, target, 'editor');
      // Give the account a seed by the same path a user takes.
      const owner = new BackOfficeClient(site.origin);
      await owner.signIn(target, TEST_PASSWORD);
      await owner.get('/admin/account');
      const setup = await owner.post('/admin/account/two-factor/start', {
        password: TEST_PASSWORD,
      });
      const seed = (
        /id="totp-secret" class="secret">([A-Z2-7 ]+)</.exec(setup.html)?.[1] ?? ''
      ).replace(/ /g, '');
      const pending = /name="pending" value="([^"]+)"/.exec(setup.html)?.[1] ?? '';
      const app = authenticator(seed);
      assert.equal(
        (await owner.post('/admin/account/two-factor/confirm', { pending, code: app.generate() }))
          .status,
        200,
      );
      const attacker = new BackOfficeClient(site.origin);
      await attacker.signIn(target, TEST_PASSWORD);
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const response = await attacker.post('/admin/login/two-factor', { code: wrongCode(app) });
        assert.equal(response.status, 401);
      }
      // Typing the right password again must not reset the count of wrong codes.
      assert.equal((await attacker.signIn(target, TEST_PASSWORD)).status, 303);
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const response = await attacker.post('/admin/login/two-factor', { code: wrongCode(app) });
        assert.equal(response.status, 401);
      }
      const locked = await attacker.post('/admin/login/two-factor', {
        code: app.generate({ timestamp: Date.now() + 30_000 }),
      });
      assert.equal(locked.status, 429, 'even the right code waits out the lock');
      assert.match(pageText(locked.html), /Try again in 1[45] minutes/);
    });

    test('turning it off requires the password', async () => {
      const account = await user.get('/admin/account');
      assert.match(account.html, /action="\/admin\/account\/two-factor\/disable"/);
      const wrong = await user.post('/admin/account/two-factor/disable', {
        password: 'not my password',
      });
      assert.equal(wrong.status, 422);
      assert.match(pageText(wrong.html), /The password is not right/);
      assert.match((await user.get('/admin/account')).html, /id="two-factor-status">On</);
      const off = await user.post('/admin/account/two-factor/disable', { password: TEST_PASSWORD });
      assert.equal(off.status, 303);
      assert.equal(off.headers.get('location'), '/admin/account?notice=two_factor_off');
      const row = await site.handle.db
        .selectFrom('users')
        .select(['totp_secret', 'recovery_codes'])
        .where('email', '=', EMAIL)
        .executeTakeFirstOrThrow();
      assert.equal(row.totp_secret, null);
      assert.equal(row.recovery_codes, null);
      const plain = new BackOfficeClient(site.origin);
      const signIn = await plain.signIn(EMAIL, TEST_PASSWORD);
      assert.equal(signIn.status, 303);
      assert.equal(signIn.headers.get('location'), '/admin', 'no second step any more');
    });

    if (engine === 'postgres') {
      test('without COMMUNIQUE_SECRET, PostgreSQL refuses to set up two-factor sign-in and says why', async () => {
        const bare = await startTestSite('postgres', { demo: false });
        try {
          await addUser(bare.handle, 'nosecret@example.org', 'editor');
          const client = new BackOfficeClient(bare.origin);
          await client.signIn('nosecret@example.org', TEST_PASSWORD);
          const account = await client.get('/admin/account');
          assert.match(account.html, /COMMUNIQUE_SECRET/);
          assert.doesNotMatch(account.html, /action="\/admin\/account\/two-factor\/start"/);
          const start = await client.post('/admin/account/two-factor/start', {
            password: TEST_PASSWORD,
          });
          assert.equal(start.status, 503);
          assert.match(pageText(start.html), /set COMMUNIQUE_SECRET/);
        } finally {
          await bare.close();
        }
      });
    }
  });
}
