import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HtmlValidate } from 'html-validate';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

const validator = new HtmlValidate({
  extends: ['html-validate:recommended', 'html-validate:a11y'],
  rules: {
    // Typographic quotes and dashes in demo prose are intended.
    'no-raw-characters': 'off',
    // Statement titles are the authors' own; the length of <title> follows them.
    'long-title': 'off',
  },
});

const PAGE_TYPES: [string, string, number][] = [
  ['front page', '/', 200],
  ['an older page', '/?page=3', 200],
  [
    'a joint statement with a translation',
    '/statements/after-the-karacamli-earthquake-what-solidarity-needs-now',
    200,
  ],
  ['an Arabic statement', '/statements/nahr-al-safa-laysa-mukabban-lil-nufayat', 200],
  ['the about page', '/about', 200],
  ['the organisations directory', '/organisations', 200],
  ['an organisation', '/organisations/nahr-association', 200],
  ['the 404 page', '/no-such-page', 404],
  ['the bad request page', '/?page=abc', 400],
];

for (const engine of await testEngines()) {
  describe(`[${engine}] every page type is valid HTML`, () => {
    let site: TestSite;
    before(async () => {
      site = await startTestSite(engine);
    });
    after(() => site?.close());

    for (const [name, path, status] of PAGE_TYPES) {
      test(`${name} (${path})`, async () => {
        const response = await site.get(path);
        assert.equal(response.status, status);
        const html = await response.text();
        const report = await validator.validateString(html);
        const messages = report.results.flatMap((result) =>
          result.messages.map(
            (message) => `${message.line}:${message.column} ${message.ruleId}: ${message.message}`,
          ),
        );
        assert.deepEqual(messages, [], messages.join('\n'));
        assert.match(html, /^<!DOCTYPE html>\n<html lang="en" dir="ltr">/);
        assert.match(html, /<header class="site-header">[\s\S]*<main id="content"[\s\S]*<footer/);
      });
    }
  });
}
