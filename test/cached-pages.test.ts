import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bumpContentVersion } from '../src/settings/index.ts';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

const KARACAMLI = 'after-the-karacamli-earthquake-what-solidarity-needs-now';
const KARACAMLI_AR = 'bad-zilzal-karatshamli-ma-yahtajuhu-al-tadamun-al-an';
// Headers that differ between any two answers, cached or not.
const PER_RESPONSE = new Set(['date', 'x-request-id']);

function headersOf(response: Response): Map<string, string> {
  return new Map([...response.headers].filter(([name]) => !PER_RESPONSE.has(name)));
}

/** Prometheus text → series → value. */
function samples(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\S+) (\S+)$/.exec(line);
    if (match?.[1] !== undefined && !line.startsWith('#')) values.set(match[1], Number(match[2]));
  }
  return values;
}

for (const engine of await testEngines()) {
  describe(`[${engine}] cached pages`, () => {
    let site: TestSite;

    before(async () => {
      site = await startTestSite(engine);
    });
    after(() => site.close());

    const pages = [
      '/',
      '/?page=1&utm_source=newsletter',
      `/statements/${KARACAMLI}`,
      `/ar/statements/${KARACAMLI_AR}`,
      '/organisations',
      '/archive',
      '/about',
      '/es/',
    ];

    for (const path of pages) {
      test(`${path}: a cached answer has the body and every header of the rendered one`, async () => {
        site.app.cache.clear();
        const rendered = await site.get(path);
        assert.equal(rendered.status, 200);
        const renderedBody = await rendered.text();
        const cached = await site.get(path);
        assert.equal(cached.status, 200);
        assert.equal(await cached.text(), renderedBody);
        assert.deepEqual(headersOf(cached), headersOf(rendered));
        const first = rendered.headers.get('x-request-id');
        const second = cached.headers.get('x-request-id');
        assert.match(second ?? '', /^[0-9a-f-]{36}$/);
        assert.notEqual(first, second, 'every answer has its own request id');
      });
    }

    test('a revalidation gets the same 304 whether the page was cached or not', async () => {
      const path = `/statements/${KARACAMLI}`;
      const etag = (await site.get(path)).headers.get('etag') ?? '';
      site.app.cache.clear();
      const rendered = await site.get(path, { 'if-none-match': etag });
      const cached = await site.get(path, { 'if-none-match': `W/${etag}, "other"` });
      assert.equal(rendered.status, 304);
      assert.equal(cached.status, 304);
      assert.equal(await cached.text(), '');
      assert.deepEqual(headersOf(cached), headersOf(rendered));
      const changed = await site.get(path, { 'if-none-match': '"stale"' });
      assert.equal(changed.status, 200, 'a stale validator gets the page');
    });

    test('a cached front page still sends a first visit to the language it asks for', async () => {
      assert.equal((await site.get('/')).status, 200);
      const visit = await site.get('/', { 'accept-language': 'tr-TR,tr;q=0.9,en;q=0.5' });
      assert.equal(visit.status, 302);
      assert.equal(visit.headers.get('location'), '/tr/');
      const chosen = await site.get('/', {
        'accept-language': 'tr',
        cookie: 'communique_lang=en',
      });
      assert.equal(chosen.status, 200, 'an explicit choice is kept');
      assert.equal(chosen.headers.get('vary'), 'Accept-Language, Cookie');
    });

    test('cached answers are timed under their route pattern and counted as cache hits', async () => {
      const path = `/statements/${KARACAMLI}`;
      assert.equal((await site.get(path)).status, 200);
      const before = samples(await (await site.get('/metrics')).text());
      for (let index = 0; index < 3; index += 1) assert.equal((await site.get(path)).status, 200);
      const after = samples(await (await site.get('/metrics')).text());
      const series =
        'communique_http_request_duration_seconds_count{method="GET",route="/statements/:slug",status_class="2xx"}';
      assert.equal((after.get(series) ?? 0) - (before.get(series) ?? 0), 3);
      const hits = 'communique_page_cache_hits_total';
      assert.equal((after.get(hits) ?? 0) - (before.get(hits) ?? 0), 3);
    });

    test('a page is not served from the cache after the content changes', async () => {
      const path = `/statements/${KARACAMLI}`;
      assert.equal((await site.get(path)).status, 200);
      await site.handle.db
        .updateTable('statements')
        .set({ status: 'draft' })
        .where('slug', '=', KARACAMLI)
        .execute();
      await bumpContentVersion(site.handle.db);
      await site.app.refreshContent();
      assert.equal((await site.get(path)).status, 404);
      assert.equal((await site.get(path)).status, 404, 'nor on the next request');
    });

    test('HEAD and other methods are routed as before', async () => {
      assert.equal((await site.get('/about')).status, 200);
      const head = await fetch(`${site.origin}/about`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(await head.text(), '');
      const post = await fetch(`${site.origin}/about`, { method: 'POST' });
      assert.equal(post.status, 404);
    });
  });
}
