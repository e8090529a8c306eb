import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { importContent, readContentFolder } from '../src/import-export/index.ts';
import { addUser, BackOfficeClient, TEST_PASSWORD } from './helpers/browser-session.ts';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';
import { findInjectedMarkup, XSS_PAYLOADS, XSS_TEXT } from './helpers/xss-corpus.ts';

const ONE_LINE = XSS_PAYLOADS.map((payload) => payload.replace(/\n/g, ' ')).join(' ');

async function writeHostileFolder(folder: string): Promise<void> {
  await mkdir(path.join(folder, 'organisations'), { recursive: true });
  await mkdir(path.join(folder, 'pages'), { recursive: true });
  await writeFile(
    path.join(folder, 'site.yaml'),
    stringify({
      title: `Site ${ONE_LINE}`.slice(0, 200),
      intro: XSS_TEXT,
      about_label: XSS_PAYLOADS[1],
      labels: { full_statement: XSS_PAYLOADS[0], older: XSS_PAYLOADS[2] },
    }),
  );
  await writeFile(
    path.join(folder, 'organisations/hostile-collective.md'),
    `---\n${stringify({ name: `Hostile ${XSS_PAYLOADS[0]} ${XSS_PAYLOADS[1]}`, country: 'FR', language: 'fr', website: 'https://hostile.example/?q="><script>alert(1)</script>' })}---\n\n${XSS_TEXT}\n`,
  );
  await writeFile(
    path.join(folder, 'pages/about.md'),
    `---\n${stringify({ title: `About ${XSS_PAYLOADS[0]}` })}---\n\n${XSS_TEXT}\n`,
  );
}

for (const engine of await testEngines()) {
  describe(`[${engine}] hostile text is escaped or sanitised on every page`, () => {
    let site: TestSite;
    let folder: string;
    let statementId: number;
    const editor = () => new BackOfficeClient(site.origin);
    before(async () => {
      site = await startTestSite(engine);
      folder = await mkdtemp(path.join(tmpdir(), 'communique-xss-'));
      await writeHostileFolder(folder);
      await importContent(site.handle, await readContentFolder(folder));
      await site.app.refreshContent();
      await addUser(site.handle, 'editor@example.org', 'editor');
      await addUser(
        site.handle,
        `hostile${XSS_PAYLOADS[0]?.replace(/[^a-z]/g, '')}@example.org`,
        'admin',
      );
      await addUser(site.handle, 'admin@example.org', 'admin');
      await site.handle.db
        .updateTable('users')
        .set({ name: `Eve ${XSS_PAYLOADS[1]} ${XSS_PAYLOADS[0]}` })
        .where('email', 'like', 'hostile%')
        .execute();
      const client = editor();
      await client.signIn('editor@example.org', TEST_PASSWORD);
      await client.get('/admin/statements/new');
      const organisation = await site.handle.db
        .selectFrom('organisations')
        .select('id')
        .where('slug', '=', 'hostile-collective')
        .executeTakeFirstOrThrow();
      const created = await client.post('/admin/statements', {
        title: `Hostile ${ONE_LINE}`.slice(0, 500),
        slug: 'hostile-statement',
        body: XSS_TEXT,
        summary: '',
        language: 'en',
        date: '2026-11-25T10:00',
        signatory_1: String(organisation.id),
        intent: 'save',
      });
      assert.equal(created.status, 303, created.html.slice(0, 3000));
      statementId = Number(/(\d+)(\?|$)/.exec(created.headers.get('location') ?? '')?.[1]);
      const page = await client.get(`/admin/statements/${statementId}`);
      const version = /name="version" value="(\d+)"/.exec(page.html)?.[1] ?? '';
      assert.equal(
        (
          await client.post(`/admin/statements/${statementId}/transition`, {
            transition: 'publish',
            version,
          })
        ).status,
        303,
      );
      const summaryPage = await client.get('/admin/statements/new');
      assert.equal(summaryPage.status, 200);
      const withSummary = await client.post('/admin/statements', {
        title: XSS_PAYLOADS[6] ?? '',
        slug: 'hostile-summary',
        body: 'Plain body.',
        summary: XSS_TEXT,
        language: 'en',
        date: '2026-11-24T10:00',
        signatory_1: String(organisation.id),
        intent: 'save',
      });
      const summaryId = Number(/(\d+)(\?|$)/.exec(withSummary.headers.get('location') ?? '')?.[1]);
      const summaryVersion =
        /name="version" value="(\d+)"/.exec(
          (await client.get(`/admin/statements/${summaryId}`)).html,
        )?.[1] ?? '';
      await client.post(`/admin/statements/${summaryId}/transition`, {
        transition: 'publish',
        version: summaryVersion,
      });
    });
    after(async () => {
      await site?.close();
      await rm(folder, { recursive: true, force: true });
    });

    test('public pages contain no injected markup and show the text escaped', async () => {
      for (const page of [
        '/',
        '/statements/hostile-statement',
        '/statements/hostile-summary',
        '/organisations',
        '/organisations/hostile-collective',
        '/about',
        '/no-such-page',
      ]) {
        const response = await site.get(page);
        const html = await response.text();
        assert.ok(
          response.status === 200 || response.status === 404,
          `${page}: ${response.status}`,
        );
        assert.deepEqual(findInjectedMarkup(html), [], page);
        if (page !== '/no-such-page')
          assert.match(html, /&lt;script&gt;alert\(/, `${page} shows the payload as text`);
      }
    });

    test('back-office pages contain no injected markup', async () => {
      const client = editor();
      await client.signIn('editor@example.org', TEST_PASSWORD);
      const hostile = await site.handle.db
        .selectFrom('organisations')
        .select('id')
        .where('slug', '=', 'hostile-collective')
        .executeTakeFirstOrThrow();
      const about = await site.handle.db
        .selectFrom('pages')
        .select('id')
        .where('slug', '=', 'about')
        .executeTakeFirstOrThrow();
      const pages = [
        '/admin',
        '/admin/statements',
        `/admin/statements/${statementId}`,
        `/admin/statements/${statementId}/revisions`,
        '/admin/statements/new',
        '/admin/organisations',
        `/admin/organisations/${hostile.id}`,
        '/admin/pages',
        `/admin/pages/${about.id}`,
        '/admin/media',
        '/admin/account',
      ];
      for (const page of pages) {
        const response = await client.get(page);
        assert.equal(response.status, 200, page);
        assert.deepEqual(findInjectedMarkup(response.html, ['/admin/assets/editor.js']), [], page);
      }
      const preview = await client.post(`/admin/statements/${statementId}`, {
        title: 'Preview',
        body: XSS_TEXT,
        language: 'en',
        date: '2026-11-25T10:00',
        intent: 'preview',
      });
      assert.deepEqual(
        findInjectedMarkup(preview.html, ['/admin/assets/editor.js']),
        [],
        'server-side preview',
      );
      const admin = new BackOfficeClient(site.origin);
      await admin.signIn('admin@example.org', TEST_PASSWORD);
      for (const page of ['/admin/settings', '/admin/users', '/admin/audit']) {
        const response = await admin.get(page);
        assert.equal(response.status, 200, page);
        assert.deepEqual(findInjectedMarkup(response.html, ['/admin/assets/editor.js']), [], page);
      }
      await client.get('/admin/statements/new');
      const live = await client.post('/admin/preview', { body: XSS_TEXT }, { csrf: client.csrf });
      assert.deepEqual(findInjectedMarkup(live.html), [], 'live preview fragment');
    });

    test('the hostile text is stored as typed, less NUL characters, so nothing is lost', async () => {
      const client = editor();
      await client.signIn('editor@example.org', TEST_PASSWORD);
      const row = await site.handle.db
        .selectFrom('statements')
        .select('body_md')
        .where('id', '=', statementId)
        .executeTakeFirstOrThrow();
      assert.equal(
        row.body_md,
        XSS_TEXT.replace(/\r\n?/g, '\n').replaceAll(String.fromCharCode(0), ''),
        'only the NUL characters are dropped',
      );
    });
  });
}
