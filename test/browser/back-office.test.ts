import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserAvailable, launchBrowser, SCREENSHOT_DIR } from '../helpers/browser.ts';
import { addUser, TEST_PASSWORD } from '../helpers/browser-session.ts';
import { testEngines } from '../helpers/engines.ts';
import { startTestSite, type TestSite } from '../helpers/test-site.ts';

/** The few browser globals these tests touch, typed without pulling the DOM library into a Node project. */
interface BrowserGlobals {
  document: { querySelector(selector: string): { textContent: string | null } | null };
  getComputedStyle(element: unknown): { direction: string };
}

const axeSource = await readFile(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

/** Collects console errors and CSP violations, which should never happen. */
function watchForErrors(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('response', (response) => {
    if (
      response.status() >= 400 &&
      !response.url().includes('/statements/') &&
      response.request().resourceType() !== 'document'
    ) {
      problems.push(`${response.status()} ${response.url()}`);
    }
  });
  return problems;
}

async function signIn(page: Page, origin: string, email: string): Promise<void> {
  await page.goto(`${origin}/admin/login`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${origin}/admin`);
}

/** Serious or critical WCAG violations axe-core finds on the current page. */
async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run(
            options: unknown,
          ): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }>;
        };
      }
    ).axe;
    const result = await axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      count: violation.nodes.length,
    }));
  });
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.count})`);
}

const runBrowser = browserAvailable();

for (const engine of runBrowser ? await testEngines() : []) {
  describe(`[${engine}] the back office in a real browser`, () => {
    let site: TestSite;
    let browser: Browser;
    const shot = (page: Page, name: string) =>
      page.screenshot({ path: path.join(SCREENSHOT_DIR, `${engine}-${name}.png`), fullPage: true });

    before(async () => {
      site = await startTestSite(engine);
      await addUser(site.handle, 'editor@example.org', 'editor');
      await addUser(site.handle, 'aoife@example.org', 'contributor', [
        'liffeyside-tenants',
        'nahr-association',
      ]);
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      await site?.close();
    });

    test('a contributor drafts a joint statement and submits it; an editor publishes it', async () => {
      const contributorContext = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        bypassCSP: false,
      });
      const contributor = await contributorContext.newPage();
      const contributorErrors = watchForErrors(contributor);
      await signIn(contributor, site.origin, 'aoife@example.org');
      await shot(contributor, 'dashboard');
      await contributor.getByRole('link', { name: 'Write a statement' }).click();
      await contributor.getByLabel('Title').fill('Cold homes in two cities: a joint appeal');
      await contributor
        .getByLabel('Text (Markdown)')
        .fill(
          'Tenants in Dublin and Beirut spent this winter in cold rooms.\n\nWe ask **both councils** to fund insulation now.',
        );
      await contributor
        .getByLabel('Signatory 1', { exact: true })
        .selectOption({ label: "Liffeyside Tenants' Alliance (yours)" });
      await contributor.getByLabel('Signatory 2', { exact: true }).selectOption({ index: 0 });
      const nahrOption = await contributor
        .locator('#signatory-2 option', { hasText: 'نهر' })
        .first()
        .getAttribute('value');
      assert.ok(nahrOption);
      await contributor.getByLabel('Signatory 2', { exact: true }).selectOption(nahrOption);
      await contributor.waitForFunction(
        () =>
          (globalThis as unknown as BrowserGlobals).document.querySelector('#preview-body strong')
            ?.textContent === 'both councils',
        undefined,
        { timeout: 5000 },
      );
      await shot(contributor, 'editor-live-preview');
      await contributor.getByRole('button', { name: 'Save', exact: true }).click();
      await contributor.waitForURL(/\/admin\/statements\/\d+\?notice=created/);
      assert.equal(
        await contributor.getByRole('button', { name: 'Publish now' }).count(),
        0,
        'a contributor is not offered Publish',
      );
      await contributor.getByRole('button', { name: 'Submit for review' }).click();
      await contributor.waitForURL(/notice=submitted/);
      await contributor.getByRole('status').waitFor();
      await shot(contributor, 'statement-submitted');
      assert.deepEqual(contributorErrors, []);
      await contributorContext.close();

      const editorContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const editor = await editorContext.newPage();
      const editorErrors = watchForErrors(editor);
      await signIn(editor, site.origin, 'editor@example.org');
      await editor.getByRole('link', { name: /awaiting review/ }).click();
      await shot(editor, 'review-queue');
      await editor.getByRole('link', { name: 'Cold homes in two cities: a joint appeal' }).click();
      await editor.getByRole('button', { name: 'Publish now' }).click();
      await editor.waitForURL(/notice=published/);
      await shot(editor, 'statement-published');
      await editor.goto(`${site.origin}/`);
      const first = editor.locator('article.statement-summary').first();
      assert.equal(
        await first.locator('.statement-title').textContent(),
        'Cold homes in two cities: a joint appeal',
      );
      await first.getByRole('link', { name: /Full statement/ }).click();
      const signatories = await editor.locator('.signatories li').allInnerTexts();
      assert.equal(signatories.length, 2);
      assert.match(signatories[0] ?? '', /Liffeyside Tenants' Alliance \(Ireland\)/);
      assert.match(signatories[1] ?? '', /\(Lebanon\)/);
      await shot(editor, 'public-statement');
      assert.deepEqual(editorErrors, []);
      await editorContext.close();
    });

    test('the main screens have no serious accessibility violations, on a phone too', async () => {
      const context = await browser.newContext({
        viewport: { width: 390, height: 844 },
        bypassCSP: true,
      });
      const page = await context.newPage();
      await page.goto(`${site.origin}/`);
      assert.deepEqual(await accessibilityViolations(page), [], 'front page');
      await shot(page, 'phone-front-page');
      await page.goto(`${site.origin}/ar/`);
      assert.equal(
        await page
          .locator('html')
          .evaluate(
            (element) =>
              (globalThis as unknown as BrowserGlobals).getComputedStyle(element).direction,
          ),
        'rtl',
      );
      assert.equal(
        await page
          .locator('.site-header nav li')
          .first()
          .evaluate(
            (element) =>
              (globalThis as unknown as BrowserGlobals).getComputedStyle(element).direction,
          ),
        'rtl',
      );
      assert.deepEqual(await accessibilityViolations(page), [], 'Arabic front page');
      await shot(page, 'phone-arabic-front-page');
      await page.goto(`${site.origin}/ar/statements/nahr-al-safa-laysa-mukabban-lil-nufayat`);
      await shot(page, 'phone-arabic-statement');
      assert.equal(
        await page
          .locator('article.statement')
          .evaluate(
            (element) =>
              (globalThis as unknown as BrowserGlobals).getComputedStyle(element).direction,
          ),
        'rtl',
      );
      assert.deepEqual(await accessibilityViolations(page), [], 'Arabic statement');
      await page.goto(`${site.origin}/admin/login`);
      assert.deepEqual(await accessibilityViolations(page), [], 'sign-in');
      await shot(page, 'phone-sign-in');
      await signIn(page, site.origin, 'editor@example.org');
      for (const screen of ['/admin', '/admin/statements', '/admin/statements/new']) {
        await page.goto(`${site.origin}${screen}`);
        assert.deepEqual(await accessibilityViolations(page), [], screen);
      }
      await shot(page, 'phone-editor');
      await context.close();
    });
  });
}
