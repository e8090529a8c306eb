import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { listOrganisations } from '../src/organisations/index.ts';
import { type SearchPage, searchAdapter } from '../src/search/index.ts';
import { sqlitePlainText } from '../src/search/sqlite-plain-text.ts';
import { plain } from '../src/search/sqlite-schema.ts';
import { upsertStatement } from '../src/statements/index.ts';
import { createTestDatabase, testEngines } from './helpers/engines.ts';
import { organisationRow } from './helpers/rows.ts';

const TRICKY_HTML = [
  '',
  'no tags at all',
  '<p>One <em>nested <strong>deep</strong></em> paragraph.</p>',
  '<a href="https://example.org/?a=1&amp;b=2" title="x > y">link</a> after',
  'a < b and c > d',
  'unclosed <tag and more',
  'closing first > then <b>bold</b>',
  '<<double>> and <a<b>c>',
  '&amp;lt; stays &lt; once; &lt;p&gt; is text; &quot;quoted&quot; &#39;single&#39; a&nbsp;b',
  '<p>Erdoğan, Karaçamlı, İstanbul, ﬁ ligature, 😀 emoji</p>\n<p>second\tline</p>',
  '<pre><code>if (a &lt; b) { return "&amp;"; }</code></pre>',
  '<img src="x.png" alt="">',
  '   <br>  <br/>  spaces  \n\n  around  ',
];

describe('SQLite plain text stripped in JavaScript', () => {
  const sqlite = new DatabaseSync(':memory:');
  const inSql = sqlite.prepare(`select ${plain('?')} as text`);
  const sqlPlainText = (html: string) => (inSql.get(html) as { text: string }).text;

  test('is exactly what the SQL of the triggers makes of tricky HTML', () => {
    for (const html of TRICKY_HTML) assert.equal(sqlitePlainText(html), sqlPlainText(html), html);
  });

  test('property: the same text for any mix of tags, entities and text', () => {
    const piece = fc.constantFrom(
      '<',
      '>',
      '<p>',
      '</p>',
      '<a href="x>y">',
      '&',
      '&amp;',
      '&lt;',
      '&gt;',
      '&quot;',
      '&#39;',
      '&nbsp;',
      ';',
      ' ',
      '\n',
      'word',
      'ğ',
      '😀',
      '"',
      "'",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const html = pieces.join('');
        assert.equal(sqlitePlainText(html), sqlPlainText(html));
      }),
      { numRuns: 500 },
    );
  });
});

for (const engine of await testEngines()) {
  describe(`[${engine}] rebuilding the whole search index`, () => {
    if (engine === 'postgres')
      test('0014 plain text equals 0005 plain text on tricky HTML and whitespace', async () => {
        const fresh = await createTestDatabase(engine);
        const handle = await openDatabase(loadConfig({ DATABASE_URL: fresh.url }).database);
        try {
          await migrateToLatest(handle);
          const inputs = [...TRICKY_HTML, 'a\u2003b\u00a0c\u3000\u3000d', ' \t\n\r\f\v ', 'a \nb'];
          const { rows } = await sql<{ html: string; now: string; then: string }>`
            select html, communique_plain_text(html) as now,
              replace(replace(replace(replace(replace(replace(
                regexp_replace(regexp_replace(coalesce(html, ''), '<[^>]*>', ' ', 'g'), '\\s+', ' ', 'g'),
                '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#39;', ''''), '&nbsp;', ' '), '&amp;', '&')
                as then
            from unnest(${inputs}::text[]) as html`.execute(handle.db);
          assert.equal(rows.length, inputs.length);
          for (const row of rows) assert.equal(row.now, row.then, row.html);
        } finally {
          await handle.close();
          await fresh.drop();
        }
      });

    test('a rebuild gives the index the triggers kept: same rows, same results and snippets; a rolled-back one changes nothing', async () => {
      const fresh = await createTestDatabase(engine);
      const handle = await openDatabase(loadConfig({ DATABASE_URL: fresh.url }).database);
      const adapter = searchAdapter(engine);
      try {
        await migrateToLatest(handle);
        const now = new Date();
        await handle.db
          .insertInto('organisations')
          .values(
            ['Liffeyside Tenants Union', 'Emek Dayanışma Ağı', 'Terre Partagée'].map(
              (name, index) =>
                organisationRow(`signer-${index}`, name, ['IE', 'TR', 'FR'][index] ?? 'IE', now),
            ),
          )
          .execute();
        const [first, second, third] = await listOrganisations(handle.db);
        assert.ok(first && second && third, 'three organisations');
        const bodies = [
          'Tenants of the *river* quarter & their <neighbours> met: "no evictions this winter".',
          'Erdoğan, Karaçamlı and İstanbul dockers: a `<script>` in code, [a link](https://example.org/?a=1&b=2).',
          '## Winter pause\n\n- first point\n- second point with **bold** words\n\nThe winter pause of evictions holds.',
          '',
        ];
        for (const [index, bodyMd] of bodies.entries()) {
          await upsertStatement(
            handle.db,
            {
              slug: `rebuild-${index}`,
              title: `Rebuild check ${index}: winter pause`,
              bodyMd,
              summaryMd: index === 0 ? 'A summary with &amp; and <b>tags</b>.' : null,
              language: ['en', 'tr', 'fr', 'es'][index] ?? 'en',
              status: 'published',
              publishedAt: new Date(Date.UTC(2024, index, 2)),
              // Signing order differs from id order, so the names' order is put to the test.
              signatoryIds: [third.id, first.id, second.id].slice(0, (index % 3) + 1),
              translationOfId: null,
            },
            new Date(),
          );
        }
        const queries = [
          ['winter'],
          ['winter', 'pause'],
          ['erdogan'],
          ['istanbul'],
          ['evictions'],
          ['neighbours'],
          ['script'],
          [first.name.split(' ')[0] ?? 'x'],
        ];
        const searchAll = async (): Promise<SearchPage[]> => {
          const pages: SearchPage[] = [];
          for (const words of queries)
            for (const phrase of [false, true])
              pages.push(
                await adapter.search(handle.db, {
                  parts: [{ words, phrase }],
                  filters: {},
                  limit: 10,
                  offset: 0,
                }),
              );
          return pages;
        };
        const indexRows = async () =>
          engine === 'sqlite'
            ? (
                await sql<
                  Record<string, unknown>
                >`select cast(key as text) as key, title, summary, body,
                  organisations, facets from statement_search_docs order by key`.execute(handle.db)
              ).rows
            : (
                await sql<Record<string, unknown>>`select statement_id, config::text, document,
                  search_vector::text, status, language, published_at, lexemes::text,
                  pair_vector::text from statement_search order by statement_id`.execute(handle.db)
              ).rows;
        const keptByTriggers = { rows: await indexRows(), pages: await searchAll() };
        assert.ok(
          keptByTriggers.pages.some((page) => page.hits.length > 0),
          'the searches find something',
        );

        await adapter.pauseIndexing(handle.db);
        await adapter.resumeIndexing(handle.db);
        assert.deepEqual(await indexRows(), keptByTriggers.rows, 'the rebuilt rows');
        assert.deepEqual(await searchAll(), keptByTriggers.pages, 'the rebuilt results');

        // Inside a caller's transaction (a restore) the rebuild is undone with it.
        await assert.rejects(
          handle.db.transaction().execute(async (trx) => {
            await adapter.pauseIndexing(trx);
            await trx.deleteFrom('statement_signatories').execute();
            await adapter.resumeIndexing(trx);
            throw new Error('restore failed');
          }),
          /restore failed/,
        );
        assert.deepEqual(await indexRows(), keptByTriggers.rows, 'after a rolled-back rebuild');

        // The triggers index writes again after a rebuild.
        await upsertStatement(
          handle.db,
          {
            slug: 'after-rebuild',
            title: 'Written after the rebuild',
            bodyMd: 'Quorvex assembly.',
            summaryMd: null,
            language: 'en',
            status: 'published',
            publishedAt: new Date(Date.UTC(2024, 6, 1)),
            signatoryIds: [first.id],
            translationOfId: null,
          },
          new Date(),
        );
        const found = await adapter.search(handle.db, {
          parts: [{ words: ['quorvex'], phrase: false }],
          filters: {},
          limit: 10,
          offset: 0,
        });
        assert.deepEqual(
          found.hits.map((hit) => hit.slug),
          ['after-rebuild'],
        );
      } finally {
        await handle.close();
        await fresh.drop();
      }
    });
  });
}
