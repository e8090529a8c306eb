import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { HtmlValidate } from 'html-validate';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

// The document and the reference page describe the API, not themselves.
const NOT_DOCUMENTED = new Set(['/api/openapi.json', '/api/docs', '/api/docs.css']);

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
}

for (const engine of await testEngines()) {
  describe(`OpenAPI document (${engine})`, () => {
    let site: TestSite;
    let document: OpenApiDocument;
    before(async () => {
      site = await startTestSite(engine, { demo: false });
      const response = await site.get('/api/openapi.json');
      assert.equal(response.status, 200);
      document = (await response.json()) as OpenApiDocument;
    });
    after(() => site?.close());

    test('is a valid OpenAPI 3.1 document', async () => {
      assert.equal(document.openapi, '3.1.0');
      const validator = new Validator();
      const result = await validator.validate(
        structuredClone(document) as unknown as Record<string, unknown>,
      );
      assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    });

    test('describes every route under /api/, each with its responses', () => {
      const documented = new Set(
        Object.entries(document.paths).flatMap(([path, item]) =>
          Object.keys(item).map(
            (method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
          ),
        ),
      );
      const served = site.app.routes
        .filter(
          (route) =>
            route.url.startsWith('/api/') &&
            !NOT_DOCUMENTED.has(route.url) &&
            !['HEAD', 'OPTIONS'].includes(route.method) &&
            !route.url.endsWith('*'),
        )
        .map((route) => `${route.method} ${route.url}`);
      assert.ok(served.length >= 20, `found ${served.length} API routes`);
      const missing = served.filter((route) => !documented.has(route));
      assert.deepEqual(missing, [], 'every API route appears in the document');
      for (const item of Object.values(document.paths))
        for (const operation of Object.values(item)) {
          const statuses = Object.keys(operation.responses ?? {});
          assert.ok(statuses.some((status) => status.startsWith('2')));
        }
      for (const name of ['Problem', 'Statement', 'StatementList', 'AdminStatement'])
        assert.ok(name in document.components.schemas, name);
    });

    test('the reference page at /api/docs lists every operation and is valid HTML', async () => {
      const response = await site.get('/api/docs');
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      const html = await response.text();
      for (const [path, item] of Object.entries(document.paths))
        for (const method of Object.keys(item)) {
          assert.ok(html.includes(`<code>${path}</code>`), path);
          assert.ok(html.includes(`>${method.toUpperCase()}</span>`), `${method} ${path}`);
        }
      assert.match(html, /curl -X POST -H .{1,6}Authorization: Bearer \$COMMUNIQUE_TOKEN/);
      assert.doesNotMatch(html, /`/, 'Markdown code spans are rendered, not shown raw');
      const report = await new HtmlValidate({
        extends: ['html-validate:recommended'],
      }).validateString(html);
      const messages = report.results.flatMap((result) =>
        result.messages.map((m) => `${m.ruleId}: ${m.message}`),
      );
      assert.deepEqual(messages, []);
      const css = await site.get('/api/docs.css');
      assert.equal(css.status, 200);
    });
  });
}
