import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HtmlValidate } from 'html-validate';
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

/** The text of the page's alert or field errors, whitespace collapsed, for message checks. */
function pageText(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ');
}

const NEW_PASSWORD = 'another long enough password';

for (const engine of await testEngines()) {
  describe(`[${engine}] user management, own account and audit log`, () => {
    let site: TestSite;
    let admin: BackOfficeClient;
    let organisationIds: string[];

    before(async () => {
      site = await startTestSite(engine);
      await addUser(site.handle, 'admin@example.org', 'admin');
      await addUser(site.handle, 'editor@example.org', 'editor');
      await addUser(site.handle, 'victim@example.org', 'editor');
      await addUser(site.handle, 'changer@example.org', 'editor');
      admin = new BackOfficeClient(site.origin);
      assert.equal((await admin.signIn('admin@example.org', TEST_PASSWORD)).status, 303);
      const form = await admin.get('/admin/users/new');
      organisationIds = [...form.html.matchAll(/name="organisation_(\d+)"/g)].map(
        (match) => match[1] ?? '',
      );
      assert.ok(organisationIds.length >= 2, 'the demo network has organisations to choose');
    });
    after(() => site?.close());

    test('an admin creates an editor and a contributor who can then sign in', async () => {
      const form = await admin.get('/admin/users/new');
      assert.equal(form.status, 200);
      await assertValidHtml(form.html);
      assert.match(form.html, /type="checkbox" id="organisation-\d+" name="organisation_\d+"/);
      assert.match(form.html, /name="password" type="password" autocomplete="new-password"/);

      const editor = await admin.post('/admin/users', {
        name: 'Nadia Editor',
        email: 'Nadia@Example.org',
        role: 'editor',
        password: 'nadia has a long password',
        password_repeat: 'nadia has a long password',
      });
      assert.equal(editor.status, 303);
      assert.match(editor.headers.get('location') ?? '', /^\/admin\/users\/\d+\?notice=created$/);

      await admin.get('/admin/users/new');
      const contributor = await admin.post('/admin/users', {
        name: 'Omar Contributor',
        email: 'omar@example.org',
        role: 'contributor',
        [`organisation_${organisationIds[0]}`]: 'on',
        [`organisation_${organisationIds[1]}`]: 'on',
        password: 'omar has a long password too',
        password_repeat: 'omar has a long password too',
      });
      assert.equal(contributor.status, 303);

      const listing = await admin.get('/admin/users');
      assert.equal(listing.status, 200);
      await assertValidHtml(listing.html);
      assert.match(listing.html, /Nadia Editor[\s\S]*nadia@example\.org[\s\S]*Editor/);
      assert.match(listing.html, /Omar Contributor[\s\S]*omar@example\.org[\s\S]*Contributor/);

      const nadia = new BackOfficeClient(site.origin);
      const nadiaSignIn = await nadia.signIn('nadia@example.org', 'nadia has a long password');
      assert.equal(nadiaSignIn.status, 303);
      assert.equal((await nadia.get('/admin/statements')).status, 200);
      const omar = new BackOfficeClient(site.origin);
      assert.equal(
        (await omar.signIn('omar@example.org', 'omar has a long password too')).status,
        303,
      );
      const account = await omar.get('/admin/account');
      assert.equal(account.status, 200);
      assert.match(account.html, /contributor/);
    });

    test('a contributor without an organisation, or mismatched passwords, get 422 and field messages', async () => {
      await admin.get('/admin/users/new');
      const noOrganisation = await admin.post('/admin/users', {
        name: 'Lone Contributor',
        email: 'lone@example.org',
        role: 'contributor',
        password: 'lone has a long password',
        password_repeat: 'lone has a long password',
      });
      assert.equal(noOrganisation.status, 422);
      await assertValidHtml(noOrganisation.html);
      assert.match(pageText(noOrganisation.html), /a contributor needs at least one organisation/);
      assert.match(noOrganisation.html, /id="organisations-error"/);
      assert.match(noOrganisation.html, /value="lone@example\.org"/, 'typed values are kept');
      assert.doesNotMatch(noOrganisation.html, /lone has a long password/, 'passwords are not');

      const mismatch = await admin.post('/admin/users', {
        name: 'Typo Person',
        email: 'typo@example.org',
        role: 'editor',
        password: 'typo has a long password',
        password_repeat: 'typo has a long passwort',
      });
      assert.equal(mismatch.status, 422);
      assert.match(mismatch.html, /id="field-password_repeat"[^>]*aria-invalid="true"/);
      assert.match(pageText(mismatch.html), /the two passwords do not match/);

      const duplicate = await admin.post('/admin/users', {
        name: 'Editor Again',
        email: 'editor@example.org',
        role: 'editor',
        password: 'duplicate has a long password',
        password_repeat: 'duplicate has a long password',
      });
      assert.equal(duplicate.status, 422);
      assert.match(pageText(duplicate.html), /already exists/);

      const listing = await admin.get('/admin/users');
      assert.doesNotMatch(listing.html, /lone@example\.org|typo@example\.org/);
    });

    test('disabling a signed-in editor signs them out at their very next request', async () => {
      const victim = new BackOfficeClient(site.origin);
      assert.equal((await victim.signIn('victim@example.org', TEST_PASSWORD)).status, 303);
      assert.equal((await victim.get('/admin/statements')).status, 200);

      const listing = await admin.get('/admin/users');
      const id = /href="\/admin\/users\/(\d+)"[^>]*>victim</.exec(listing.html)?.[1];
      assert.ok(id);
      await admin.get(`/admin/users/${id}`);
      const disabled = await admin.post(`/admin/users/${id}/disable`, {});
      assert.equal(disabled.status, 303);

      const next = await victim.get('/admin/statements');
      assert.equal(next.status, 303);
      assert.equal(next.headers.get('location'), '/admin/login?next=%2Fadmin%2Fstatements');
      assert.equal((await victim.signIn('victim@example.org', TEST_PASSWORD)).status, 401);
      const page = await admin.get(`/admin/users/${id}`);
      assert.match(page.html, /Disabled/);
      await assertValidHtml(page.html);

      assert.equal((await admin.post(`/admin/users/${id}/enable`, {})).status, 303);
      assert.equal((await victim.signIn('victim@example.org', TEST_PASSWORD)).status, 303);
    });

    test('an admin cannot disable or demote themselves', async () => {
      const listing = await admin.get('/admin/users');
      const id = /href="\/admin\/users\/(\d+)"[^>]*>admin</.exec(listing.html)?.[1];
      assert.ok(id);
      const own = await admin.get(`/admin/users/${id}`);
      assert.doesNotMatch(own.html, /\/disable"/, 'no disable button for oneself');
      const disable = await admin.post(`/admin/users/${id}/disable`, {});
      assert.equal(disable.status, 422);
      assert.match(pageText(disable.html), /You cannot disable your own account/);
      const demote = await admin.post(`/admin/users/${id}`, { role: 'editor' });
      assert.equal(demote.status, 422);
      assert.match(pageText(demote.html), /you cannot remove your own administrator role/);
      await assertValidHtml(demote.html);
      assert.equal((await admin.get('/admin/users')).status, 200, 'still an admin, still in');
    });

    test('a role change is audited and shown on the audit page', async () => {
      const listing = await admin.get('/admin/users');
      const id = /href="\/admin\/users\/(\d+)"[^>]*>editor</.exec(listing.html)?.[1];
      assert.ok(id);
      await admin.get(`/admin/users/${id}`);
      const missing = await admin.post(`/admin/users/${id}`, { role: 'contributor' });
      assert.equal(missing.status, 422, 'a contributor still needs an organisation');
      const changed = await admin.post(`/admin/users/${id}`, {
        role: 'contributor',
        [`organisation_${organisationIds[0]}`]: 'on',
      });
      assert.equal(changed.status, 303);
      const edit = await admin.get(`/admin/users/${id}`);
      assert.match(edit.html, /<option value="contributor" selected>/);

      const audit = await admin.get('/admin/audit?action=user.');
      assert.equal(audit.status, 200);
      await assertValidHtml(audit.html);
      const text = pageText(audit.html);
      assert.match(
        text,
        /admin@example\.org user\.role_changed user #\d+ 127\.0\.0\.1 from editor to contributor/,
      );
      assert.doesNotMatch(text, /login\.succeeded/, 'the filter keeps only account actions');
      assert.match(audit.html, /<option value="user\." selected>/);
    });

    test('the audit page shows failed sign-ins with the address, newest first', async () => {
      const stranger = new BackOfficeClient(site.origin);
      await stranger.get('/admin/login');
      await stranger.post('/admin/login', { email: 'nobody@example.org', password: 'guess one' });
      const audit = await admin.get('/admin/audit?action=login.');
      const text = pageText(audit.html);
      assert.match(text, /nobody@example\.org login\.failed — 127\.0\.0\.1 reason unknown email/);
      const first = /<tbody>\s*<tr>[\s\S]*?<\/tr>/.exec(audit.html)?.[0] ?? '';
      assert.match(first, /nobody@example\.org/, 'the newest entry comes first');
      assert.match(
        audit.html,
        /<time datetime="\d{4}-\d\d-\d\dT[^"]+Z">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d<\/time>/,
      );
      const all = await admin.get('/admin/audit?action=nonsense&page=999');
      assert.equal(all.status, 200, 'an unknown filter or page shows an empty page, not an error');
    });

    test('editors and contributors are refused user management and the audit log', async () => {
      const editor = new BackOfficeClient(site.origin);
      await editor.signIn('nadia@example.org', 'nadia has a long password');
      const contributor = new BackOfficeClient(site.origin);
      await contributor.signIn('omar@example.org', 'omar has a long password too');
      for (const client of [editor, contributor]) {
        for (const path of ['/admin/users', '/admin/users/new', '/admin/users/1', '/admin/audit'])
          assert.equal((await client.get(path)).status, 403, path);
        await client.get('/admin/account');
        const post = await client.post('/admin/users', {
          name: 'Sneaky',
          email: 'sneaky@example.org',
          role: 'admin',
          password: 'sneaky long password',
          password_repeat: 'sneaky long password',
        });
        assert.equal(post.status, 403);
        assert.equal((await client.post('/admin/users/1/disable', {})).status, 403);
      }
      const signedOut = new BackOfficeClient(site.origin);
      assert.equal((await signedOut.get('/admin/users')).status, 303);
    });

    test('changing one’s password keeps this session, ends the others and retires the old password', async () => {
      const here = new BackOfficeClient(site.origin);
      const elsewhere = new BackOfficeClient(site.origin);
      await here.signIn('changer@example.org', TEST_PASSWORD);
      await elsewhere.signIn('changer@example.org', TEST_PASSWORD);
      const account = await here.get('/admin/account');
      assert.equal(account.status, 200);
      await assertValidHtml(account.html);
      assert.match(account.html, /changer@example\.org/);
      assert.match(account.html, /autocomplete="current-password"/);

      const wrong = await here.post('/admin/account/password', {
        current_password: 'not my password',
        new_password: NEW_PASSWORD,
        new_password_repeat: NEW_PASSWORD,
      });
      assert.equal(wrong.status, 422);
      assert.match(pageText(wrong.html), /The current password is not right/);
      assert.match(wrong.html, /id="field-current_password"[^>]*aria-invalid="true"/);
      await assertValidHtml(wrong.html);
      const mismatch = await here.post('/admin/account/password', {
        current_password: TEST_PASSWORD,
        new_password: NEW_PASSWORD,
        new_password_repeat: `${NEW_PASSWORD}!`,
      });
      assert.equal(mismatch.status, 422);
      const short = await here.post('/admin/account/password', {
        current_password: TEST_PASSWORD,
        new_password: 'short',
        new_password_repeat: 'short',
      });
      assert.equal(short.status, 422);
      assert.match(pageText(short.html), /at least 12 characters/);

      const changed = await here.post('/admin/account/password', {
        current_password: TEST_PASSWORD,
        new_password: NEW_PASSWORD,
        new_password_repeat: NEW_PASSWORD,
      });
      assert.equal(changed.status, 303);
      assert.equal(changed.headers.get('location'), '/admin/account?notice=password');
      assert.equal((await here.get('/admin/statements')).status, 200, 'this session stays');
      assert.equal((await elsewhere.get('/admin/statements')).status, 303, 'others end');
      const old = new BackOfficeClient(site.origin);
      assert.equal((await old.signIn('changer@example.org', TEST_PASSWORD)).status, 401);
      assert.equal((await old.signIn('changer@example.org', NEW_PASSWORD)).status, 303);
    });
  });
}
