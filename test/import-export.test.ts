import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/connect.ts';
import { createLogger } from '../src/http/logger.ts';
import { PROJECT_ROOT, runCli } from './helpers/cli.ts';
import { createTestDatabase, type TestDatabase, testEngines } from './helpers/engines.ts';

const DEMO = path.join(PROJECT_ROOT, 'demo/content');

async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** Renders a few pages of the site stored at a database URL, through the real server. */
async function renderSite(url: string, paths: string[]): Promise<string[]> {
  const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'warn' });
  const handle = await openDatabase(config.database);
  const app = await buildApp(config, handle, createLogger({ logLevel: 'warn', logFormat: 'json' }));
  try {
    const origin = await app.server.listen({ port: 0, host: '127.0.0.1' });
    const pages = await Promise.all(
      paths.map(async (page) => (await fetch(`${origin}${page}`)).text()),
    );
    // When a statement was last saved is not part of the content folder: an import is a new save.
    return pages.map((html) =>
      html
        .replace(/(article:modified_time" content=")[^"]+/g, '$1…')
        .replace(/("dateModified":")[^"]+/g, '$1…'),
    );
  } finally {
    await app.close();
    await handle.close();
  }
}

for (const engine of await testEngines()) {
  describe(`[${engine}] communique import and export`, () => {
    let work: string;
    const databases: TestDatabase[] = [];
    const freshDatabase = async () => {
      const database = await createTestDatabase(engine);
      databases.push(database);
      return database.url;
    };
    before(async () => {
      work = await mkdtemp(path.join(tmpdir(), 'communique-io-'));
    });
    after(async () => {
      await Promise.all(databases.map((database) => database.drop()));
      await rm(work, { recursive: true, force: true });
    });

    test('importing twice changes nothing the second time', async () => {
      const url = await freshDatabase();
      const first = await runCli(['import', DEMO], { DATABASE_URL: url });
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /Statements: 34 created, 0 updated, 0 unchanged/);
      assert.match(first.stdout, /Organisations: 6 created/);
      const second = await runCli(['import', DEMO], { DATABASE_URL: url });
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /Statements: 0 created, 0 updated, 34 unchanged/);
      assert.match(second.stdout, /Organisations: 0 created, 0 updated, 6 unchanged/);
      assert.match(second.stdout, /Site settings unchanged/);
    });

    test('importing an export gives back the same site', async () => {
      const original = await freshDatabase();
      assert.equal((await runCli(['import', DEMO], { DATABASE_URL: original })).code, 0);
      const firstExport = path.join(work, 'export-1');
      const exported = await runCli(['export', firstExport], { DATABASE_URL: original });
      assert.equal(exported.code, 0, exported.stderr);
      assert.match(exported.stdout, /Exported 34 statements, 6 organisations and 1 pages/);

      const copy = await freshDatabase();
      assert.equal((await runCli(['import', firstExport], { DATABASE_URL: copy })).code, 0);
      const secondExport = path.join(work, 'export-2');
      assert.equal((await runCli(['export', secondExport], { DATABASE_URL: copy })).code, 0);

      const files = await listFiles(firstExport);
      assert.deepEqual(await listFiles(secondExport), files);
      assert.equal(files.filter((file) => file.startsWith('statements/')).length, 34);
      for (const file of files) {
        assert.equal(
          await readFile(path.join(secondExport, file), 'utf8'),
          await readFile(path.join(firstExport, file), 'utf8'),
          file,
        );
      }
      const pages = [
        '/',
        '/?page=2',
        '/statements/bad-zilzal-karatshamli-ma-yahtajuhu-al-tadamun-al-an',
        '/organisations',
        '/organisations/nahr-association',
        '/about',
      ];
      assert.deepEqual(await renderSite(copy, pages), await renderSite(original, pages));
      const draft = await readFile(
        path.join(
          firstExport,
          'statements/response-to-the-consultation-on-the-rental-standards-bill.md',
        ),
        'utf8',
      );
      assert.match(draft, /^status: draft$/m);
      const translation = await readFile(
        path.join(
          firstExport,
          'statements/bad-zilzal-karatshamli-ma-yahtajuhu-al-tadamun-al-an.md',
        ),
        'utf8',
      );
      assert.match(
        translation,
        /^translation_of: after-the-karacamli-earthquake-what-solidarity-needs-now$/m,
      );
    });

    test('a bad file is reported by file, line and field, and nothing is written', async () => {
      const folder = path.join(work, 'broken');
      await mkdir(path.join(folder, 'statements'), { recursive: true });
      await mkdir(path.join(folder, 'organisations'), { recursive: true });
      await writeFile(
        path.join(folder, 'organisations/harbour-union.md'),
        '---\nname: Harbour Union\ncountry: PT\nlanguage: pt\n---\nDockworkers in Setúbal.\n',
      );
      await writeFile(
        path.join(folder, 'statements/good-one.md'),
        '---\ntitle: A good statement\ndate: 2025-01-02T10:00:00+00:00\norganisations: [harbour-union]\nlanguage: en\n---\nFine.\n',
      );
      await writeFile(
        path.join(folder, 'statements/bad-date.md'),
        '---\ntitle: Bad date\norganisations: [harbour-union]\ndate: last Tuesday\nlanguage: en\n---\nText.\n',
      );
      await writeFile(
        path.join(folder, 'statements/unknown-organisation.md'),
        '---\ntitle: Unknown organisation\ndate: 2025-01-03T10:00:00+00:00\nlanguage: en\norganisations:\n  - nobody-we-know\n---\nText.\n',
      );
      const url = await freshDatabase();
      const failed = await runCli(['import', folder], { DATABASE_URL: url });
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /^Nothing was imported: 1 problem found\./m);
      assert.match(
        failed.stderr,
        /statements\/bad-date\.md:4: field "date": "last Tuesday" is not an ISO 8601 date and time with an offset/,
      );
      assert.doesNotMatch(failed.stderr, /\n\s+at /);

      await rm(path.join(folder, 'statements/bad-date.md'));
      const unresolved = await runCli(['import', folder], { DATABASE_URL: url });
      assert.equal(unresolved.code, 1);
      assert.match(
        unresolved.stderr,
        /statements\/unknown-organisation\.md:5: field "organisations": no organisation "nobody-we-know"/,
      );
      const exportFolder = path.join(work, 'after-failure');
      assert.equal((await runCli(['export', exportFolder], { DATABASE_URL: url })).code, 0);
      assert.deepEqual(
        await listFiles(exportFolder),
        ['site.yaml'],
        'the failed import wrote nothing at all',
      );
    });

    test('a large import shows a progress line', async () => {
      const folder = path.join(work, 'large');
      await mkdir(path.join(folder, 'statements'), { recursive: true });
      await mkdir(path.join(folder, 'organisations'), { recursive: true });
      await writeFile(
        path.join(folder, 'organisations/river-watch.md'),
        '---\nname: River Watch\ncountry: ES\nlanguage: es\n---\nVigilancia del río.\n',
      );
      for (let index = 1; index <= 250; index += 1) {
        const day = String((index % 28) + 1).padStart(2, '0');
        await writeFile(
          path.join(folder, `statements/bulletin-${index}.md`),
          `---\ntitle: Bulletin ${index}\ndate: 2025-02-${day}T09:00:00+01:00\norganisations: [river-watch]\nlanguage: es\n---\nBoletín número ${index}.\n`,
        );
      }
      const result = await runCli(['import', folder], { DATABASE_URL: await freshDatabase() });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /Reading 251\/251 files \(100%\)/);
      assert.match(result.stdout, /Statements: 250 created/);
    });
  });
}
