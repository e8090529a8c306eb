import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addUser, BackOfficeClient, TEST_PASSWORD } from './helpers/browser-session.ts';
import { Dom, textOf } from './helpers/dom.ts';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

async function statementId(site: TestSite, slug: string): Promise<number> {
  return (
    await site.handle.db
      .selectFrom('statements')
      .select('id')
      .where('slug', '=', slug)
      .executeTakeFirstOrThrow()
  ).id;
}

function formFields(html: string): Record<string, string> {
  const dom = new Dom(html);
  const fields: Record<string, string> = {};
  for (const input of dom.all(
    '#statement-form input[name], #statement-form textarea[name], #statement-form select[name]',
  )) {
    const name = input.attribs.name ?? '';
    if (input.name === 'select') {
      const selected = dom.all('option[selected]', input)[0];
      fields[name] = selected?.attribs.value ?? '';
    } else if (input.name === 'textarea') {
      fields[name] =
        textOf(input) === ''
          ? ''
          : input.children.map((child) => ('data' in child ? String(child.data) : '')).join('');
    } else if (input.attribs.type !== 'checkbox') {
      fields[name] = input.attribs.value ?? '';
    }
  }
  delete fields._csrf;
  return fields;
}

for (const engine of await testEngines()) {
  describe(`[${engine}] translations in the back office`, () => {
    let site: TestSite;
    let editor: BackOfficeClient;
    let original: number;
    let arabic: number;
    before(async () => {
      site = await startTestSite(engine);
      await addUser(site.handle, 'editor@example.org', 'editor');
      await addUser(site.handle, 'patras@example.org', 'contributor', ['steki-patras']);
      editor = new BackOfficeClient(site.origin);
      await editor.signIn('editor@example.org', TEST_PASSWORD);
      original = await statementId(
        site,
        'after-the-karacamli-earthquake-what-solidarity-needs-now',
      );
      arabic = await statementId(site, 'bad-zilzal-karatshamli-ma-yahtajuhu-al-tadamun-al-an');
    });
    after(() => site?.close());

    test('the editor shows which languages exist and which are missing', async () => {
      const dom = new Dom((await editor.get(`/admin/statements/${original}`)).html);
      const versions = dom.all('.translations-panel li').map(textOf);
      assert.ok(
        versions.some((line) => line.startsWith('English') && line.includes('original')),
        versions.join(' | '),
      );
      assert.ok(
        versions.some((line) => line.startsWith('Arabic')),
        versions.join(' | '),
      );
      const missing = dom.all('#translation-language option').map((option) => option.attribs.value);
      assert.deepEqual(missing, ['es', 'tr', 'el']);
    });

    test('starting a translation makes a linked draft in that language', async () => {
      const response = await editor.post(`/admin/statements/${original}/translations`, {
        language: 'tr',
      });
      assert.equal(response.status, 303);
      const id = Number(
        /\/admin\/statements\/(\d+)/.exec(response.headers.get('location') ?? '')?.[1],
      );
      const row = await site.handle.db
        .selectFrom('statements')
        .select(['language', 'status', 'translation_of_id', 'slug'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(
        { ...row, slug: undefined },
        { language: 'tr', status: 'draft', translation_of_id: original, slug: undefined },
      );
      assert.equal(row.slug, 'after-the-karacamli-earthquake-what-solidarity-needs-now-tr');
      const again = await editor.post(`/admin/statements/${original}/translations`, {
        language: 'tr',
      });
      assert.equal(again.status, 422);
      assert.match(again.html, /There is already a version in tr/);
      const audit = await site.handle.db
        .selectFrom('audit_log')
        .select('action')
        .where('subject_id', '=', id)
        .execute();
      assert.ok(audit.some((entry) => entry.action === 'statement.translation_created'));
    });

    test('a translation is marked outdated when the original changes, until it is brought up to date', async () => {
      const page = await editor.get(`/admin/statements/${original}`);
      const fields = formFields(page.html);
      const saved = await editor.post(`/admin/statements/${original}`, {
        ...fields,
        body: `${fields.body}\n\nA new closing paragraph.`,
        intent: 'save',
      });
      assert.equal(saved.status, 303, saved.html.slice(0, 500));
      const arabicPage = await editor.get(`/admin/statements/${arabic}`);
      assert.match(
        arabicPage.html,
        /The original changed after this translation was last brought up to date/,
      );
      const originalPage = new Dom((await editor.get(`/admin/statements/${original}`)).html);
      assert.ok(
        originalPage
          .all('.translations-panel li')
          .map(textOf)
          .some((line) => line.startsWith('Arabic') && line.includes('Outdated')),
      );
      const arabicFields = formFields((await editor.get(`/admin/statements/${arabic}`)).html);
      const caughtUp = await editor.post(`/admin/statements/${arabic}`, {
        ...arabicFields,
        translation_up_to_date: 'yes',
        intent: 'save',
      });
      assert.equal(caughtUp.status, 303);
      assert.doesNotMatch(
        (await editor.get(`/admin/statements/${arabic}`)).html,
        /The original changed after this translation/,
      );
    });

    test('a contributor of another organisation cannot translate a statement they cannot see', async () => {
      const contributor = new BackOfficeClient(site.origin);
      await contributor.signIn('patras@example.org', TEST_PASSWORD);
      const ramon = await statementId(site, 'ramon-villareal-is-free');
      const response = await contributor.post(`/admin/statements/${ramon}/translations`, {
        language: 'es',
      });
      assert.equal(response.status, 404);
    });
  });
}
