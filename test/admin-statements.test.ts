import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addUser, BackOfficeClient, TEST_PASSWORD } from './helpers/browser-session.ts';
import { attr, Dom } from './helpers/dom.ts';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

async function organisationId(site: TestSite, slug: string): Promise<number> {
  const row = await site.handle.db
    .selectFrom('organisations')
    .select('id')
    .where('slug', '=', slug)
    .executeTakeFirstOrThrow();
  return row.id;
}

function statementForm(fields: {
  title: string;
  body: string;
  signatories: number[];
  slug?: string;
  summary?: string;
  date?: string;
  language?: string;
}): Record<string, string> {
  const form: Record<string, string> = {
    title: fields.title,
    slug: fields.slug ?? '',
    body: fields.body,
    summary: fields.summary ?? '',
    language: fields.language ?? 'en',
    date: fields.date ?? '2026-11-20T10:00',
    intent: 'save',
  };
  fields.signatories.forEach((id, index) => {
    form[`signatory_${index + 1}`] = String(id);
  });
  return form;
}

async function versionOf(client: BackOfficeClient, id: number): Promise<string> {
  const page = await client.get(`/admin/statements/${id}`);
  return /name="version" value="(\d+)"/.exec(page.html)?.[1] ?? 'missing';
}

for (const engine of await testEngines()) {
  describe(`[${engine}] statements in the back office`, () => {
    let site: TestSite;
    let liffey: number;
    let nahr: number;
    let steki: number;
    before(async () => {
      site = await startTestSite(engine);
      liffey = await organisationId(site, 'liffeyside-tenants');
      nahr = await organisationId(site, 'nahr-association');
      steki = await organisationId(site, 'steki-patras');
      await addUser(site.handle, 'editor@example.org', 'editor');
      await addUser(site.handle, 'admin@example.org', 'admin');
      await addUser(site.handle, 'dublin@example.org', 'contributor', ['liffeyside-tenants']);
      await addUser(site.handle, 'patras@example.org', 'contributor', ['steki-patras']);
    });
    after(() => site?.close());

    test('a contributor drafts a joint statement and submits it; an editor publishes it', async () => {
      const contributor = new BackOfficeClient(site.origin);
      await contributor.signIn('dublin@example.org', TEST_PASSWORD);
      await contributor.get('/admin/statements/new');
      const created = await contributor.post(
        '/admin/statements',
        statementForm({
          title: 'Heating support must reach private tenants',
          body: 'Private tenants in Dublin and Beirut face the same cold winter.\n\nWe ask both councils to act.',
          signatories: [liffey, nahr],
        }),
      );
      assert.equal(created.status, 303, created.html);
      const location = created.headers.get('location') ?? '';
      const id = Number(/\/admin\/statements\/(\d+)/.exec(location)?.[1]);
      assert.ok(id > 0);
      const page = await contributor.get(`/admin/statements/${id}`);
      assert.match(page.html, /status-draft/);
      assert.doesNotMatch(page.html, /value="publish"/, 'a contributor is not offered Publish');

      const submitted = await contributor.post(`/admin/statements/${id}/transition`, {
        transition: 'submit',
        version: await versionOf(contributor, id),
      });
      assert.equal(submitted.status, 303);
      await contributor.get(`/admin/statements/${id}`);
      const refused = await contributor.post(`/admin/statements/${id}/transition`, {
        transition: 'publish',
        version: await versionOf(contributor, id),
      });
      assert.equal(refused.status, 403, 'a contributor cannot publish');
      assert.equal(
        (await site.get('/statements/heating-support-must-reach-private-tenants')).status,
        404,
      );

      const editor = new BackOfficeClient(site.origin);
      await editor.signIn('editor@example.org', TEST_PASSWORD);
      const queue = await editor.get('/admin/statements?status=submitted');
      assert.match(queue.html, /Heating support must reach private tenants/);
      const published = await editor.post(`/admin/statements/${id}/transition`, {
        transition: 'publish',
        version: await versionOf(editor, id),
      });
      assert.equal(published.status, 303);
      const front = new Dom(await site.html('/'));
      assert.equal(
        front.text('article .statement-title'),
        'Heating support must reach private tenants',
        'on the front page at once',
      );
      const publicPage = new Dom(
        await site.html('/statements/heating-support-must-reach-private-tenants'),
      );
      assert.deepEqual(
        publicPage.all('.signatories a').map((link) => attr(link, 'href')),
        ['/organisations/liffeyside-tenants', '/organisations/nahr-association'],
      );
      const audit = await site.handle.db
        .selectFrom('audit_log')
        .select(['action', 'actor_label'])
        .where('subject_id', '=', id)
        .execute();
      assert.ok(
        audit.some(
          (row) => row.action === 'statement.published' && row.actor_label === 'editor@example.org',
        ),
      );
    });

    test('a contributor cannot draft only for other organisations, nor open their statements', async () => {
      const contributor = new BackOfficeClient(site.origin);
      await contributor.signIn('patras@example.org', TEST_PASSWORD);
      await contributor.get('/admin/statements/new');
      const response = await contributor.post(
        '/admin/statements',
        statementForm({ title: 'Not ours', body: 'Text.', signatories: [liffey] }),
      );
      assert.equal(response.status, 422);
      assert.match(response.html, /Include at least one organisation you belong to/);
      const list = await contributor.get('/admin/statements');
      assert.doesNotMatch(
        list.html,
        /Heating support must reach private tenants/,
        'other organisations’ statements are not listed',
      );
      const other = await site.handle.db
        .selectFrom('statements')
        .select('id')
        .where('slug', '=', 'heating-support-must-reach-private-tenants')
        .executeTakeFirstOrThrow();
      assert.equal((await contributor.get(`/admin/statements/${other.id}`)).status, 404);
    });

    test('bad input is explained field by field and nothing is written', async () => {
      const editor = new BackOfficeClient(site.origin);
      await editor.signIn('editor@example.org', TEST_PASSWORD);
      const before = await site.handle.db
        .selectFrom('statements')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow();
      await editor.get('/admin/statements/new');
      const response = await editor.post('/admin/statements', {
        ...statementForm({
          title: '  ',
          body: '',
          signatories: [],
          date: 'yesterday',
          slug: 'Not A Slug',
        }),
      });
      assert.equal(response.status, 422);
      const dom = new Dom(response.html);
      assert.equal(attr(dom.one('#field-title'), 'aria-invalid'), 'true');
      assert.match(response.html, /Give the statement a title\./);
      assert.match(response.html, /Write the text of the statement\./);
      assert.match(response.html, /Give a date and time/);
      assert.match(response.html, /Choose at least one signing organisation\./);
      assert.match(response.html, /Use lowercase letters, digits and single hyphens only/);
      const after = await site.handle.db
        .selectFrom('statements')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(after.count), Number(before.count));
    });

    test('the Preview button renders the Markdown without saving', async () => {
      const editor = new BackOfficeClient(site.origin);
      await editor.signIn('editor@example.org', TEST_PASSWORD);
      await editor.get('/admin/statements/new');
      const response = await editor.post('/admin/statements', {
        ...statementForm({
          title: 'Preview me',
          body: 'Some **bold** words.',
          signatories: [steki],
        }),
        intent: 'preview',
      });
      assert.equal(response.status, 200);
      assert.match(
        response.html,
        /<div class="preview-body"[^>]*><p>Some <strong>bold<\/strong> words\.<\/p>/,
      );
      const saved = await site.handle.db
        .selectFrom('statements')
        .select('id')
        .where('title', '=', 'Preview me')
        .executeTakeFirst();
      assert.equal(saved, undefined);
    });

    test('a changed slug leaves a 301 from the old address', async () => {
      const editor = new BackOfficeClient(site.origin);
      await editor.signIn('editor@example.org', TEST_PASSWORD);
      const row = await site.handle.db
        .selectFrom('statements')
        .select('id')
        .where('slug', '=', 'ramon-villareal-is-free')
        .executeTakeFirstOrThrow();
      const page = await editor.get(`/admin/statements/${row.id}`);
      const body =
        /<textarea id="field-body"[^>]*>([\s\S]*?)<\/textarea>/.exec(page.html)?.[1] ?? '';
      const decoded = body
        .replace(/&#39;/g, "'")
        .replace(/&quot;/g, '"')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&');
      const saved = await editor.post(`/admin/statements/${row.id}`, {
        ...statementForm({
          title: 'Ramon Villareal is free',
          body: decoded,
          signatories: [await organisationId(site, 'sandigan-migrant-centre')],
          slug: 'ramon-villareal-released',
          date: '2025-09-19T08:00',
        }),
        version: await versionOf(editor, row.id),
      });
      assert.equal(saved.status, 303, saved.html.slice(0, 2000));
      const old = await site.get('/statements/ramon-villareal-is-free');
      assert.equal(old.status, 301);
      assert.equal(old.headers.get('location'), '/statements/ramon-villareal-released');
      assert.equal((await site.get('/statements/ramon-villareal-released')).status, 200);
    });

    test('two people editing the same statement: the second save is refused with a clear message', async () => {
      const first = new BackOfficeClient(site.origin);
      const second = new BackOfficeClient(site.origin);
      await first.signIn('editor@example.org', TEST_PASSWORD);
      await second.signIn('admin@example.org', TEST_PASSWORD);
      const row = await site.handle.db
        .selectFrom('statements')
        .select('id')
        .where('slug', '=', 'in-memory-of-hatice-aydin')
        .executeTakeFirstOrThrow();
      const version = await versionOf(first, row.id);
      assert.equal(await versionOf(second, row.id), version);
      const signatories = (
        await site.handle.db
          .selectFrom('statement_signatories')
          .select('organisation_id')
          .where('statement_id', '=', row.id)
          .orderBy('position')
          .execute()
      ).map((r) => r.organisation_id);
      const form = (title: string) => ({
        ...statementForm({ title, body: 'Rewritten.', signatories, date: '2025-06-01T10:00' }),
        version,
      });
      assert.equal(
        (await first.post(`/admin/statements/${row.id}`, form('First editor’s title'))).status,
        303,
      );
      const conflict = await second.post(
        `/admin/statements/${row.id}`,
        form('Second editor’s title'),
      );
      assert.equal(conflict.status, 409);
      assert.match(conflict.html, /Someone else saved this statement after you opened it/);
      assert.match(
        conflict.html,
        /Second editor’s title/,
        'the second editor’s text is still in the form',
      );
      const stored = await site.handle.db
        .selectFrom('statements')
        .select('title')
        .where('id', '=', row.id)
        .executeTakeFirstOrThrow();
      assert.equal(stored.title, 'First editor’s title');
    });

    test('every save keeps a revision; the diff shows the change and an old revision can be restored', async () => {
      const editor = new BackOfficeClient(site.origin);
      await editor.signIn('editor@example.org', TEST_PASSWORD);
      await editor.get('/admin/statements/new');
      const created = await editor.post(
        '/admin/statements',
        statementForm({
          title: 'Version one',
          body: 'The original sentence.',
          signatories: [steki],
        }),
      );
      const id = Number(/(\d+)$/.exec(created.headers.get('location')?.split('?')[0] ?? '')?.[1]);
      await editor.post(`/admin/statements/${id}`, {
        ...statementForm({
          title: 'Version two',
          body: 'The corrected sentence.',
          signatories: [steki],
        }),
        version: await versionOf(editor, id),
      });
      const revisions = await editor.get(`/admin/statements/${id}/revisions`);
      assert.match(revisions.html, /#2/);
      assert.match(revisions.html, /<del>[^<]*original[^<]*<\/del>/);
      assert.match(revisions.html, /<ins>[^<]*corrected[^<]*<\/ins>/);
      const restored = await editor.post(`/admin/statements/${id}/revisions/1/restore`, {});
      assert.equal(restored.status, 303);
      const row = await site.handle.db
        .selectFrom('statements')
        .select(['title', 'body_md'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.equal(row.title, 'Version one');
      const count = await site.handle.db
        .selectFrom('statement_revisions')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('statement_id', '=', id)
        .executeTakeFirstOrThrow();
      assert.equal(
        Number(count.count),
        3,
        'restoring adds a revision instead of rewriting history',
      );
    });

    test('a scheduled statement publishes at its time, also after a restart', async () => {
      const editor = new BackOfficeClient(site.origin);
      await editor.signIn('editor@example.org', TEST_PASSWORD);
      await editor.get('/admin/statements/new');
      const created = await editor.post(
        '/admin/statements',
        statementForm({
          title: 'Scheduled solidarity',
          body: 'Coming soon.',
          signatories: [steki],
        }),
      );
      const id = Number(/(\d+)$/.exec(created.headers.get('location')?.split('?')[0] ?? '')?.[1]);
      const soon = new Date(Date.now() + 60_000);
      const local = new Intl.DateTimeFormat('sv-SE', {
        timeZone: 'Europe/London',
        dateStyle: 'short',
        timeStyle: 'short',
      })
        .format(soon)
        .replace(' ', 'T');
      const scheduled = await editor.post(`/admin/statements/${id}/transition`, {
        transition: 'schedule',
        publish_at: local,
        version: await versionOf(editor, id),
      });
      assert.equal(scheduled.status, 303);
      assert.equal((await site.get('/statements/scheduled-solidarity')).status, 404);
      // Move the time into the past, as if the server had been down when it fell due.
      await site.handle.db
        .updateTable('statements')
        .set({ published_at: new Date(Date.now() - 1000) })
        .where('id', '=', id)
        .execute();
      await site.app.runScheduler();
      assert.equal((await site.get('/statements/scheduled-solidarity')).status, 200);
      const row = await site.handle.db
        .selectFrom('statements')
        .select('status')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.equal(row.status, 'published');
    });

    test('the list filters by status, organisation and language, and paginates', async () => {
      const editor = new BackOfficeClient(site.origin);
      await editor.signIn('editor@example.org', TEST_PASSWORD);
      const arabic = await editor.get('/admin/statements?language=ar');
      assert.match(arabic.html, /\d+ statements?/);
      const titles = new Dom(arabic.html).all('table.listing tbody tr').length;
      assert.ok(titles >= 4 && titles <= 6, `${titles} Arabic statements`);
      const drafts = new Dom((await editor.get('/admin/statements?status=draft')).html);
      assert.ok(drafts.all('.status-draft').length >= 1);
      assert.equal(drafts.all('.status-published').length, 0);
      const page1 = new Dom((await editor.get('/admin/statements')).html);
      assert.equal(page1.all('table.listing tbody tr').length, 25);
      assert.ok(page1.maybe('.pagination a[rel="next"]'));
      const weird = await editor.get('/admin/statements?status=bogus&page=-3&organisation=abc');
      assert.equal(weird.status, 200, 'nonsense filters are ignored, not a 500');
    });
  });
}
