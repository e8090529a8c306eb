import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { textContent } from 'domutils';
import { HtmlValidate } from 'html-validate';
import { addUser, BackOfficeClient, TEST_PASSWORD } from './helpers/browser-session.ts';
import { attr, Dom, textOf } from './helpers/dom.ts';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

/** The fields a browser would submit from a form, as the page shows them. */
function formFields(html: string, formSelector: string): Record<string, string> {
  const dom = new Dom(html);
  const form = dom.one(formSelector);
  const fields: Record<string, string> = {};
  for (const input of dom.all('input[name]', form)) {
    fields[attr(input, 'name') ?? ''] = attr(input, 'value') ?? '';
  }
  for (const textarea of dom.all('textarea[name]', form)) {
    fields[attr(textarea, 'name') ?? ''] = textContent(textarea);
  }
  for (const select of dom.all('select[name]', form)) {
    const option = dom.maybe('option[selected]', select) ?? dom.maybe('option', select);
    fields[attr(select, 'name') ?? ''] = option === null ? '' : (attr(option, 'value') ?? '');
  }
  delete fields._csrf;
  return fields;
}

/** The back-office id behind a link with this text on a listing page. */
function idOfLink(html: string, text: string, prefix: string): number {
  const dom = new Dom(html);
  const link = dom.all(`main a[href^="${prefix}"]`).find((element) => textOf(element) === text);
  assert.ok(link, `a link "${text}" on the listing`);
  const id = new RegExp(`^${prefix}(\\d+)$`).exec(attr(link, 'href') ?? '')?.[1];
  assert.ok(id, `the link "${text}" leads to an edit page`);
  return Number(id);
}

async function countRows(site: TestSite, table: 'organisations' | 'pages' | 'audit_log') {
  const row = await site.handle.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

async function settingsRows(site: TestSite) {
  return site.handle.db
    .selectFrom('settings')
    .select(['key', 'value'])
    .where('key', '!=', 'content_version')
    .orderBy('key')
    .execute();
}

const validator = new HtmlValidate({
  extends: ['html-validate:recommended', 'html-validate:a11y'],
  rules: { 'no-raw-characters': 'off', 'long-title': 'off' },
});

for (const engine of await testEngines()) {
  describe(`[${engine}] back-office organisations, pages and settings`, () => {
    let site: TestSite;
    const editor = () => {
      const client = new BackOfficeClient(site.origin);
      return client.signIn('editor@example.org', TEST_PASSWORD).then(() => client);
    };
    const admin = () => {
      const client = new BackOfficeClient(site.origin);
      return client.signIn('admin@example.org', TEST_PASSWORD).then(() => client);
    };

    before(async () => {
      site = await startTestSite(engine);
      await addUser(site.handle, 'admin@example.org', 'admin');
      await addUser(site.handle, 'editor@example.org', 'editor');
      await addUser(site.handle, 'member@example.org', 'contributor', ['steki-patras']);
    });
    after(() => site?.close());

    test('an editor adds an organisation and it is listed under its country at once', async () => {
      const before = await site.html('/organisations');
      assert.doesNotMatch(before, /Uruguay/);
      const client = await editor();
      const form = await client.get('/admin/organisations/new');
      assert.equal(form.status, 200);
      const countries = new Dom(form.html).all('#field-country option');
      assert.ok(countries.length > 240, 'every country is offered');
      assert.ok(countries.some((option) => textOf(option) === 'Uruguay'));

      const created = await client.post('/admin/organisations', {
        name: 'Casa Común Montevideo',
        slug: '',
        country: 'UY',
        website: 'https://casacomun.example',
        language: 'es',
        description: 'A **neighbourhood** centre in Montevideo.\n\nSecond paragraph.',
      });
      assert.equal(created.status, 303);
      assert.match(
        created.headers.get('location') ?? '',
        /^\/admin\/organisations\/\d+\?notice=created$/,
      );

      const dom = new Dom(await site.html('/organisations'));
      const group = dom
        .all('section.country-group')
        .find((section) => dom.text('h2', section) === 'Uruguay');
      assert.ok(group, 'a Uruguay section on the directory');
      const link = dom.one('h3 a', group);
      assert.equal(textOf(link), 'Casa Común Montevideo');
      assert.equal(attr(link, 'href'), '/organisations/casa-comun-montevideo');
      assert.match(dom.text('.description', group), /^A neighbourhood centre in Montevideo\.$/);

      const page = new Dom(await site.html('/organisations/casa-comun-montevideo'));
      assert.equal(page.text('main h1'), 'Casa Común Montevideo');
      assert.equal(textOf(page.one('.description strong')), 'neighbourhood');

      const listing = new Dom((await client.get('/admin/organisations')).html);
      const row = listing
        .all('table.listing tbody tr')
        .find((tr) => listing.text('td', tr) === 'Casa Común Montevideo');
      assert.ok(row);
      assert.deepEqual(
        listing.all('td', row).map(textOf).slice(1, 4),
        ['Uruguay', 'es', '0'],
        'country name, language and no statements signed',
      );
      const audit = await site.handle.db
        .selectFrom('audit_log')
        .select(['actor_label', 'subject_type'])
        .where('action', '=', 'organisation.created')
        .execute();
      assert.deepEqual(
        audit.map((row) => ({ ...row })),
        [{ actor_label: 'editor@example.org', subject_type: 'organisation' }],
      );
    });

    test('a renamed organisation shows its new name on its public page on the next request', async () => {
      const before = new Dom(await site.html('/organisations/liffeyside-tenants'));
      assert.match(before.text('main h1'), /Liffeyside Tenants/);
      const client = await editor();
      const id = idOfLink(
        (await client.get('/admin/organisations')).html,
        before.text('main h1'),
        '/admin/organisations/',
      );
      const form = await client.get(`/admin/organisations/${id}`);
      const fields = formFields(form.html, `form[action="/admin/organisations/${id}"]`);
      assert.equal(fields.slug, 'liffeyside-tenants');
      const saved = await client.post(`/admin/organisations/${id}`, {
        ...fields,
        name: 'Liffeyside Tenants and Residents Alliance',
      });
      assert.equal(saved.status, 303);
      assert.equal(saved.headers.get('location'), `/admin/organisations/${id}?notice=saved`);
      const after = new Dom(await site.html('/organisations/liffeyside-tenants'));
      assert.equal(after.text('main h1'), 'Liffeyside Tenants and Residents Alliance');
      assert.match(await site.html('/organisations'), /Liffeyside Tenants and Residents Alliance/);
      const notice = await client.get(saved.headers.get('location') ?? '');
      assert.equal(new Dom(notice.html).text('.notice'), 'Saved.');
    });

    test('a bad country, website or address is refused with the field’s message and nothing is written', async () => {
      const client = await editor();
      await client.get('/admin/organisations/new');
      const good = {
        name: 'Nowhere Collective',
        slug: '',
        country: 'FR',
        website: '',
        language: 'fr',
        description: 'Text.',
      };
      const organisations = await countRows(site, 'organisations');
      const audits = await countRows(site, 'audit_log');
      const cases: [Record<string, string>, string, RegExp][] = [
        [{ country: 'XX' }, 'country', /“XX” is not an ISO 3166-1 country code/],
        [{ country: '' }, 'country', /Choose the country/],
        [{ website: 'javascript:alert(1)' }, 'website', /http:\/\/ or https:\/\/ address/],
        [{ website: 'not a url' }, 'website', /http:\/\/ or https:\/\/ address/],
        [{ slug: 'Not A Slug!' }, 'slug', /lowercase letters a–z, digits and single hyphens/],
        [{ slug: 'nahr-association' }, 'slug', /\/organisations\/nahr-association is already used/],
        [{ language: 'not a language' }, 'language', /BCP 47/],
        [{ name: ' ' }, 'name', /Give the organisation’s name/],
      ];
      for (const [change, field, message] of cases) {
        const response = await client.post('/admin/organisations', { ...good, ...change });
        assert.equal(response.status, 422, JSON.stringify(change));
        const dom = new Dom(response.html);
        assert.match(dom.text(`#${field}-error`), message);
        assert.equal(attr(dom.one(`#field-${field}`), 'aria-invalid'), 'true');
        assert.match(dom.text('#form-errors'), message);
        if (field !== 'name') assert.equal(attr(dom.one('#field-name'), 'value'), good.name);
      }
      assert.equal(await countRows(site, 'organisations'), organisations);
      assert.equal(await countRows(site, 'audit_log'), audits);
      assert.equal((await site.get('/organisations/nowhere-collective')).status, 404);
    });

    test('an organisation that signed statements cannot be deleted; one that signed none can', async () => {
      const client = await editor();
      const listing = await client.get('/admin/organisations');
      const dom = new Dom(listing.html);
      const row = dom
        .all('table.listing tbody tr')
        .find((tr) => /\/organisations\/nahr-association$/.test(dom.text('td:last-child', tr)));
      assert.ok(row);
      const signed = Number(dom.text('td:nth-child(4)', row));
      assert.ok(signed > 0);
      const id = Number(/(\d+)$/.exec(attr(dom.one('td a', row), 'href') ?? '')?.[1]);

      const refused = await client.post(`/admin/organisations/${id}/delete`, {});
      assert.equal(refused.status, 409);
      assert.match(
        new Dom(refused.html).text('[role="alert"]'),
        new RegExp(`cannot be deleted: it signed ${signed} statements`),
      );
      assert.equal((await site.get('/organisations/nahr-association')).status, 200);

      await site.html('/organisations/casa-comun-montevideo');
      const newId = idOfLink(listing.html, 'Casa Común Montevideo', '/admin/organisations/');
      const deleted = await client.post(`/admin/organisations/${newId}/delete`, {});
      assert.equal(deleted.status, 303);
      assert.equal(deleted.headers.get('location'), '/admin/organisations?notice=deleted');
      assert.equal((await site.get('/organisations/casa-comun-montevideo')).status, 404);
      assert.doesNotMatch(await site.html('/organisations'), /Casa Común/);
      const actions = await site.handle.db
        .selectFrom('audit_log')
        .select('action')
        .where('action', 'like', 'organisation.%')
        .orderBy('id')
        .execute();
      assert.deepEqual(
        actions.map((entry) => entry.action),
        ['organisation.created', 'organisation.updated', 'organisation.deleted'],
      );
    });

    test('an editor previews and then saves the about page, and /about shows it', async () => {
      const before = new Dom(await site.html('/about'));
      assert.equal(before.text('main h1'), 'About the network');
      const client = await editor();
      const id = idOfLink(
        (await client.get('/admin/pages')).html,
        'About the network',
        '/admin/pages/',
      );
      const form = await client.get(`/admin/pages/${id}`);
      const fields = formFields(form.html, `form[action="/admin/pages/${id}"]`);
      assert.equal(fields.slug, 'about');
      const changed = {
        ...fields,
        title: 'About The Wider Table',
        body: `Founded in *2019*.\n\n${fields.body}`,
      };

      const preview = await client.post(`/admin/pages/${id}`, { ...changed, intent: 'preview' });
      assert.equal(preview.status, 200);
      const previewDom = new Dom(preview.html);
      assert.equal(textOf(previewDom.one('#preview-body em')), '2019');
      assert.equal(attr(previewDom.one('#field-title'), 'value'), 'About The Wider Table');
      assert.equal(new Dom(await site.html('/about')).text('main h1'), 'About the network');

      const saved = await client.post(`/admin/pages/${id}`, { ...changed, intent: 'save' });
      assert.equal(saved.status, 303);
      const after = new Dom(await site.html('/about'));
      assert.equal(after.text('main h1'), 'About The Wider Table');
      assert.equal(textOf(after.one('.page-body p em')), '2019');

      const refused = await client.post(`/admin/pages/${id}/delete`, {});
      assert.equal(refused.status, 409);
      assert.match(
        new Dom(refused.html).text('[role="alert"]'),
        /\/about is the site’s about page/,
      );
      assert.equal((await site.get('/about')).status, 200);
    });

    test('a page cannot take the address of a public route or of another page', async () => {
      const client = await editor();
      await client.get('/admin/pages/new');
      const pages = await countRows(site, 'pages');
      for (const [slug, message] of [
        ['statements', /\/statements is used by the site itself/],
        ['feed.xml', /\/feed\.xml is used by the site itself/],
        ['admin', /\/admin is used by the site itself/],
        ['es', /\/es is used by the site itself/],
        ['about', /\/about is already used by another page/],
        ['Contact Us', /lowercase letters a–z/],
      ] as const) {
        const response = await client.post('/admin/pages', {
          title: 'Our statements',
          slug,
          body: 'Text.',
          intent: 'save',
        });
        assert.equal(response.status, 422, slug);
        const dom = new Dom(response.html);
        assert.match(dom.text('#slug-error'), message);
        assert.equal(attr(dom.one('#field-slug'), 'aria-invalid'), 'true');
      }
      assert.equal(await countRows(site, 'pages'), pages);

      assert.equal((await site.get('/contact')).status, 404);
      const created = await client.post('/admin/pages', {
        title: 'Contact',
        slug: '',
        body: 'Write to **us**.',
        intent: 'save',
      });
      assert.equal(created.status, 303);
      const contact = new Dom(await site.html('/contact'));
      assert.equal(contact.text('main h1'), 'Contact');
      const id = Number(/\/admin\/pages\/(\d+)/.exec(created.headers.get('location') ?? '')?.[1]);
      await client.get(`/admin/pages/${id}`);
      const deleted = await client.post(`/admin/pages/${id}/delete`, {});
      assert.equal(deleted.status, 303);
      assert.equal((await site.get('/contact')).status, 404);
    });

    test('an admin changes the title, intro and items per page and the front page follows at once', async () => {
      const before = new Dom(await site.html('/'));
      assert.equal(before.text('main h1'), 'The Wider Table');
      assert.equal(before.all('main article.statement-summary').length, 10);
      const client = await admin();
      const form = await client.get('/admin/settings');
      assert.equal(form.status, 200);
      const fields = formFields(form.html, 'form[action="/admin/settings"]');
      assert.equal(fields.per_page, '10');
      assert.equal(fields.timezone, 'Europe/London');
      assert.equal(fields.languages, 'en, ar, es, tr, el');
      const saved = await client.post('/admin/settings', {
        ...fields,
        title: 'The Open Table',
        intro: 'We are a *network* of neighbours.',
        per_page: '4',
        labels: 'nav_about = Who we are\n\n# comments are ignored',
      });
      assert.equal(saved.status, 303);
      assert.equal(saved.headers.get('location'), '/admin/settings?notice=saved');

      const after = new Dom(await site.html('/'));
      assert.equal(after.text('main h1'), 'The Open Table');
      assert.equal(after.text('.intro-text'), 'We are a network of neighbours.');
      assert.equal(textOf(after.one('.intro-text em')), 'network');
      assert.equal(after.all('main article.statement-summary').length, 4);
      assert.equal(textOf(after.one('header nav a[href="/about"]')), 'Who we are');
      assert.match(after.text('title'), /The Open Table/);

      const entry = await site.handle.db
        .selectFrom('audit_log')
        .select(['detail', 'actor_label'])
        .where('action', '=', 'settings.updated')
        .executeTakeFirstOrThrow();
      assert.equal(entry.actor_label, 'admin@example.org');
      assert.deepEqual(JSON.parse(entry.detail), {
        changed: ['title', 'introMd', 'perPage', 'labels'],
      });
      const reloaded = formFields(
        (await client.get('/admin/settings')).html,
        'form[action="/admin/settings"]',
      );
      assert.equal(reloaded.labels, 'nav_about = Who we are');
    });

    test('a bad time zone, items per page, language list or label is refused and changes nothing', async () => {
      const client = await admin();
      const fields = formFields(
        (await client.get('/admin/settings')).html,
        'form[action="/admin/settings"]',
      );
      const stored = await settingsRows(site);
      const front = await site.html('/');
      const cases: [Record<string, string>, Record<string, RegExp>][] = [
        [
          { timezone: 'Mars/Olympus' },
          { timezone: /time zone is not an IANA time zone: "Mars\/Olympus"/ },
        ],
        [{ per_page: '0' }, { per_page: /Items per page must be a whole number from 1 to 100/ }],
        [
          { per_page: '101', timezone: 'Nowhere/Town', title: '' },
          {
            per_page: /from 1 to 100/,
            timezone: /Nowhere\/Town/,
            title: /The site title must not be empty/,
          },
        ],
        [{ excerpt_words: 'many' }, { excerpt_words: /from 10 to 2000/ }],
        [{ languages: 'ar es' }, { languages: /must include the default language \(en\)/ }],
        [{ languages: 'en, klingon!' }, { languages: /"klingon!"/ }],
        [{ language: 'xx_YY' }, { language: /not a BCP 47 language tag/ }],
        [{ about_path: 'about' }, { about_path: /must start with \// }],
        [
          { labels: 'nav_about = Who\nno_such_label = Hello' },
          { labels: /Line 2: “no_such_label” is not a label key/ },
        ],
        [{ labels: 'nav_about Who we are' }, { labels: /Line 1 .* must look like key = text/ }],
      ];
      for (const [change, expected] of cases) {
        const response = await client.post('/admin/settings', { ...fields, ...change });
        assert.equal(response.status, 422, JSON.stringify(change));
        const dom = new Dom(response.html);
        for (const [field, message] of Object.entries(expected)) {
          assert.match(dom.text(`#${field}-error`), message, field);
          assert.equal(attr(dom.one(`#field-${field}`), 'aria-invalid'), 'true');
        }
        assert.equal(dom.all('.field-error').length, Object.keys(expected).length);
      }
      assert.deepEqual(await settingsRows(site), stored);
      assert.equal(await site.html('/'), front);
    });

    test('a contributor is refused every organisation, page and settings action', async () => {
      const client = new BackOfficeClient(site.origin);
      await client.signIn('member@example.org', TEST_PASSWORD);
      await client.get('/admin');
      const organisations = await countRows(site, 'organisations');
      const pages = await countRows(site, 'pages');
      const stored = await settingsRows(site);
      const organisationId = 1;
      const pageId = 1;
      for (const path of [
        '/admin/organisations',
        '/admin/organisations/new',
        `/admin/organisations/${organisationId}`,
        '/admin/pages',
        '/admin/pages/new',
        `/admin/pages/${pageId}`,
        '/admin/settings',
      ]) {
        const response = await client.get(path);
        assert.equal(response.status, 403, path);
        assert.match(response.html, /not allowed/);
      }
      for (const path of [
        '/admin/organisations',
        `/admin/organisations/${organisationId}`,
        `/admin/organisations/${organisationId}/delete`,
        '/admin/pages',
        `/admin/pages/${pageId}`,
        `/admin/pages/${pageId}/delete`,
        '/admin/settings',
      ]) {
        const response = await client.post(path, {
          name: 'Taken over',
          country: 'FR',
          language: 'fr',
          title: 'Taken over',
          body: 'Taken over',
          slug: 'taken-over',
          per_page: '1',
        });
        assert.equal(response.status, 403, path);
      }
      assert.equal(await countRows(site, 'organisations'), organisations);
      assert.equal(await countRows(site, 'pages'), pages);
      assert.deepEqual(await settingsRows(site), stored);
      assert.doesNotMatch(
        (await client.get('/admin')).html,
        /href="\/admin\/(organisations|pages|settings)"/,
      );
    });

    test('an editor may not open or change the settings', async () => {
      const client = await editor();
      const page = await client.get('/admin/settings');
      assert.equal(page.status, 403);
      const stored = await settingsRows(site);
      const response = await client.post('/admin/settings', {
        title: 'Editor was here',
        per_page: '1',
      });
      assert.equal(response.status, 403);
      assert.deepEqual(await settingsRows(site), stored);
      const menu = (await client.get('/admin')).html;
      assert.match(menu, /href="\/admin\/organisations"/);
      assert.match(menu, /href="\/admin\/pages"/);
      assert.doesNotMatch(menu, /href="\/admin\/settings"/);
    });

    test('the new back-office pages are valid, accessible HTML', async () => {
      const client = await admin();
      const invalid = await client.post('/admin/organisations', { name: '', country: 'XX' });
      assert.equal(invalid.status, 422);
      const pages: [string, string][] = [['organisation form with errors', invalid.html]];
      for (const path of [
        '/admin/organisations',
        '/admin/organisations/new',
        '/admin/organisations/1',
        '/admin/pages',
        '/admin/pages/new',
        '/admin/pages/1',
        '/admin/settings',
      ]) {
        const response = await client.get(path);
        assert.equal(response.status, 200, path);
        pages.push([path, response.html]);
      }
      for (const [name, html] of pages) {
        const report = await validator.validateString(html);
        const messages = report.results.flatMap((result) =>
          result.messages.map(
            (message) => `${message.line}:${message.column} ${message.ruleId}: ${message.message}`,
          ),
        );
        assert.deepEqual(messages, [], `${name}\n${messages.join('\n')}`);
        assert.doesNotMatch(html, /<script>|\sstyle="|\son[a-z]+="/);
      }
    });
  });
}
