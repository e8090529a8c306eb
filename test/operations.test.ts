import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { createAccessToken } from '../src/accounts/access-token-service.ts';
import { findUserById } from '../src/accounts/user-repository.ts';
import { type App, buildApp } from '../src/app.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { type DatabaseHandle, openDatabase } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createLogger } from '../src/http/logger.ts';
import { CdnPurger } from '../src/ops/cdn-purge.ts';
import { registerHealthRoutes } from '../src/ops/health-routes.ts';
import { readSettings, settingsDraftOf, updateSettings } from '../src/settings/index.ts';
import { addUser, BackOfficeClient, TEST_PASSWORD } from './helpers/browser-session.ts';
import { createTestDatabase, testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

const PURGE_TOKEN = 'purge-token-for-the-tests-0123456789';
const METRICS_TOKEN = 'metrics-token-for-the-tests-0123456789';
const PUBLIC_CACHE_CONTROL =
  'public, max-age=60, s-maxage=300, stale-while-revalidate=86400, stale-if-error=86400';

interface Purge {
  headers: IncomingHttpHeaders;
  keys: string[];
  /** performance.now() when the receiver answered, or undefined while it has not. */
  answeredAt?: number;
}

/** A CDN's purge endpoint on loopback: records each request, answers after `delayMs` with `status`. */
class PurgeReceiver {
  readonly purges: Purge[] = [];
  delayMs = 0;
  status: (index: number) => number = () => 200;
  readonly #server: Server;
  readonly #waiters: (() => void)[] = [];

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<PurgeReceiver> {
    let receiver: PurgeReceiver | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (receiver === undefined) return;
        const index = receiver.purges.length;
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          surrogate_keys: string[];
        };
        const purge: Purge = { headers: request.headers, keys: body.surrogate_keys };
        receiver.purges.push(purge);
        for (const wake of receiver.#waiters.splice(0)) wake();
        const status = receiver.status(index);
        setTimeout(() => {
          purge.answeredAt = performance.now();
          response.writeHead(status).end();
        }, receiver.delayMs);
      });
    });
    receiver = new PurgeReceiver(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/purge`;
  }

  /** Resolves once `count` purges have arrived. */
  async received(count: number, timeoutMs = 5000): Promise<Purge[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.purges.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`expected ${count} purges, got ${this.purges.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.purges;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }
}

/** Log lines written by a logger, parsed. */
class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  json(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

/** Another app over the same database, with its own configuration and logger. */
async function startSecondApp(
  site: TestSite,
  env: Record<string, string>,
  options: { handle?: DatabaseHandle; logs?: LogCapture; logLevel?: 'info' | 'debug' } = {},
): Promise<{ app: App; origin: string }> {
  const config = loadConfig({ DATABASE_URL: site.database.url, PORT: '0', ...env });
  const logger = createLogger(
    { logLevel: options.logLevel ?? 'warn', logFormat: config.logFormat },
    options.logs,
  );
  const app = await buildApp(config, options.handle ?? site.handle, logger);
  const origin = await app.server.listen({ port: 0, host: '127.0.0.1' });
  return { app, origin };
}

/** Checks every line is Prometheus text format 0.0.4 and returns the samples by series. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const label = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\.)*"`;
  // Prometheus reads NaN in any case (Go ParseFloat); prom-client writes "Nan".
  const sample = new RegExp(
    `^(${name})(\\{(?:${label})(?:,${label})*\\})? (-?[0-9.e+-]+|[Nn]a[Nn]|[+-]Inf)$`,
  );
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const help = new RegExp(`^# HELP (${name}) .+$`).exec(line);
    const type = new RegExp(`^# TYPE (${name}) (counter|gauge|histogram|summary|untyped)$`).exec(
      line,
    );
    if (help !== null) continue;
    if (type?.[1] !== undefined) {
      typed.add(type[1]);
      continue;
    }
    const match = sample.exec(line);
    assert.ok(match, `not a Prometheus line: ${JSON.stringify(line)}`);
    const series = match[1] ?? '';
    assert.ok(
      typed.has(series) || typed.has(series.replace(/_(bucket|sum|count|total)$/, '')),
      `${series} has a TYPE line before its samples`,
    );
    samples.set(`${series}${match[2] ?? ''}`, Number(match[3]));
  }
  return samples;
}

function keysOf(response: Response): string[] {
  const keys = (response.headers.get('surrogate-key') ?? '').split(' ');
  assert.equal(response.headers.get('cache-tag'), keys.join(','), 'Cache-Tag has the same keys');
  return keys;
}

async function idOf(site: TestSite, table: 'organisations' | 'statements', slug: string) {
  const row = await site.handle.db
    .selectFrom(table)
    .select('id')
    .where('slug', '=', slug)
    .executeTakeFirstOrThrow();
  return row.id;
}

for (const engine of await testEngines()) {
  describe(`[${engine}] operations`, () => {
    let site: TestSite;
    let receiver: PurgeReceiver;
    let token: string;

    before(async () => {
      receiver = await PurgeReceiver.start();
      site = await startTestSite(engine, {
        env: { CDN_PURGE_URL: receiver.url, CDN_PURGE_TOKEN: PURGE_TOKEN },
      });
      const editorId = await addUser(site.handle, 'editor@example.org', 'editor');
      const editor = await findUserById(site.handle.db, editorId);
      assert.ok(editor);
      ({ token } = await createAccessToken(
        site.handle,
        editor,
        { userId: editorId, label: 'test', ip: null },
        { name: 'Operations test', scope: 'write', lifetimeDays: '30' },
      ));
    });
    after(async () => {
      await site?.close();
      await receiver?.close();
    });

    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${site.origin}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = (await response.json()) as Record<string, unknown>;
      return { status: response.status, json, at: performance.now() };
    };

    test('/healthz answers without the database; /healthz/ready checks it', async () => {
      const live = await site.get('/healthz');
      assert.equal(live.status, 200);
      assert.equal(live.headers.get('cache-control'), 'no-store');
      assert.deepEqual(await live.json(), { status: 'ok' });

      const ready = await site.get('/healthz/ready');
      assert.equal(ready.status, 200);
      assert.equal(ready.headers.get('cache-control'), 'no-store');
      const body = (await ready.json()) as {
        status: string;
        failed: string[];
        checks: { database: { status: string } };
      };
      assert.equal(body.status, 'ready');
      assert.deepEqual(body.failed, []);
      assert.equal(body.checks.database.status, 'ok');
    });

    test('readiness is 503, naming the database, once the database is closed', async () => {
      const config = loadConfig({ DATABASE_URL: site.database.url });
      const handle = await openDatabase(config.database);
      const second = await startSecondApp(site, {}, { handle });
      try {
        assert.equal((await fetch(`${second.origin}/healthz/ready`)).status, 200);
        await handle.close();
        const ready = await fetch(`${second.origin}/healthz/ready`);
        assert.equal(ready.status, 503);
        const body = (await ready.json()) as {
          status: string;
          failed: string[];
          checks: { database: { status: string; reason: string } };
        };
        assert.equal(body.status, 'unavailable');
        assert.deepEqual(body.failed, ['database']);
        assert.equal(body.checks.database.status, 'fail');
        assert.ok(body.checks.database.reason.length > 0);
        assert.equal((await fetch(`${second.origin}/healthz`)).status, 200, 'still alive');
      } finally {
        await second.app.close();
      }
    });

    test('/metrics is Prometheus text with request timings by route pattern', async () => {
      const slug = 'after-the-karacamli-earthquake-what-solidarity-needs-now';
      assert.equal((await site.get(`/statements/${slug}`)).status, 200);
      assert.equal((await site.get('/no/such/page/at/all')).status, 404);
      const response = await site.get('/metrics');
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const samples = parsePrometheus(await response.text());
      const count = (route: string, statusClass: string) =>
        samples.get(
          `communique_http_request_duration_seconds_count{method="GET",route="${route}",status_class="${statusClass}"}`,
        ) ?? 0;
      assert.ok(count('/statements/:slug', '2xx') >= 1, 'the route pattern, not the URL');
      assert.ok(count('unmatched', '4xx') >= 1, 'unknown addresses share one label');
      assert.ok(![...samples.keys()].some((series) => series.includes(slug)));
      assert.ok(samples.has('process_cpu_user_seconds_total'), 'default process metrics');
      assert.ok(samples.has('nodejs_eventloop_lag_seconds'));
      const max = samples.get(`communique_db_pool_max_connections{engine="${engine}"}`);
      const open = samples.get(`communique_db_pool_connections{engine="${engine}"}`) ?? 0;
      if (engine === 'postgres') {
        assert.equal(max, 10);
        assert.ok(open >= 1 && open <= 10, `${open} connections open`);
        assert.ok(samples.has('communique_db_pool_idle_connections{engine="postgres"}'));
        assert.equal(samples.get('communique_db_pool_waiting_requests{engine="postgres"}'), 0);
      } else {
        assert.equal(max, 1);
        assert.equal(open, 1);
      }
    });

    test('the page cache hit ratio moves after a cached hit', async () => {
      const ratio = async () => {
        const samples = parsePrometheus(await (await site.get('/metrics')).text());
        return {
          hits: samples.get('communique_page_cache_hits_total') ?? -1,
          ratio: samples.get('communique_page_cache_hit_ratio') ?? -1,
          entries: samples.get('communique_page_cache_entries') ?? -1,
        };
      };
      await site.app.refreshContent();
      site.app.cache.clear();
      assert.equal((await site.get('/archive')).status, 200);
      const first = await ratio();
      assert.ok(first.entries >= 1);
      assert.equal((await site.get('/archive')).status, 200);
      const second = await ratio();
      assert.equal(second.hits, first.hits + 1);
      assert.ok(second.ratio > first.ratio, `${second.ratio} > ${first.ratio}`);
    });

    test('queue depth counts a pending webhook delivery and a scheduled statement', async () => {
      const depth = async () => {
        const samples = parsePrometheus(await (await site.get('/metrics')).text());
        return {
          pending: samples.get('communique_queue_depth{queue="webhook_pending"}'),
          retrying: samples.get('communique_queue_depth{queue="webhook_retrying"}'),
          scheduled: samples.get('communique_queue_depth{queue="scheduled_statements"}'),
        };
      };
      const before = await depth();
      const now = new Date();
      const db = site.handle.db;
      // An inactive webhook: its deliveries wait without the worker trying them.
      const webhook = await db
        .insertInto('webhooks')
        .values({
          url: 'http://127.0.0.1:9/hook',
          description: 'paused',
          events: '["statement.published"]',
          active: 0,
          secret_sealed: 'sealed',
          created_by: null,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('webhook_events')
        .values({
          id: 'ops-event',
          event: 'statement.published',
          statement_id: null,
          payload: '{}',
          occurred_at: now,
        })
        .execute();
      const delivery = (id: string, lastError: string | null) => ({
        id,
        webhook_id: webhook.id,
        event_id: 'ops-event',
        status: 'pending',
        attempts: lastError === null ? 0 : 1,
        next_attempt_at: now,
        lease_token: null,
        lease_until: null,
        last_attempt_at: null,
        last_status_code: null,
        last_error: lastError,
        completed_at: null,
        created_at: now,
      });
      await db
        .insertInto('webhook_deliveries')
        .values([delivery('ops-pending', null), delivery('ops-retrying', 'answered 500')])
        .execute();
      await db
        .updateTable('statements')
        .set({ status: 'scheduled', published_at: new Date(Date.now() + 86_400_000) })
        .where('slug', '=', 'after-the-karacamli-earthquake-what-solidarity-needs-now')
        .execute();
      try {
        const later = await depth();
        assert.equal(later.pending, (before.pending ?? 0) + 1);
        assert.equal(later.retrying, (before.retrying ?? 0) + 1);
        assert.equal(later.scheduled, (before.scheduled ?? 0) + 1);
      } finally {
        await db
          .updateTable('statements')
          .set({ status: 'published', published_at: now })
          .where('slug', '=', 'after-the-karacamli-earthquake-what-solidarity-needs-now')
          .execute();
        await db.deleteFrom('webhook_deliveries').where('webhook_id', '=', webhook.id).execute();
        await db.deleteFrom('webhook_events').where('id', '=', 'ops-event').execute();
        await db.deleteFrom('webhooks').where('id', '=', webhook.id).execute();
      }
    });

    test('/metrics is refused (404) through a proxy, from elsewhere, and without the token', async () => {
      const proxied = await site.get('/metrics', { 'x-forwarded-for': '203.0.113.9' });
      assert.equal(proxied.status, 404);
      assert.match(proxied.headers.get('content-type') ?? '', /^text\/html/, 'the usual 404');
      const remote = await site.app.server.inject({
        url: '/metrics',
        remoteAddress: '203.0.113.9',
      });
      assert.equal(remote.statusCode, 404);

      const guarded = await startSecondApp(site, { METRICS_TOKEN });
      try {
        const get = (headers: Record<string, string> = {}) =>
          fetch(`${guarded.origin}/metrics`, { headers });
        assert.equal((await get()).status, 404, 'loopback alone is not enough with a token');
        assert.equal((await get({ authorization: 'Bearer wrong-token-0123456789' })).status, 404);
        const allowed = await get({ authorization: `Bearer ${METRICS_TOKEN}` });
        assert.equal(allowed.status, 200);
        parsePrometheus(await allowed.text());
        const fromElsewhere = await guarded.app.server.inject({
          url: '/metrics',
          remoteAddress: '203.0.113.9',
          headers: { authorization: `Bearer ${METRICS_TOKEN}` },
        });
        assert.equal(fromElsewhere.statusCode, 200, 'the token opens it from anywhere');
      } finally {
        await guarded.app.close();
      }
    });

    test('public responses carry CDN cache headers and surrogate keys of what they show', async () => {
      const liffey = await idOf(site, 'organisations', 'liffeyside-tenants');
      const slug = 'after-the-karacamli-earthquake-what-solidarity-needs-now';
      const statement = await idOf(site, 'statements', slug);

      const front = await site.get('/');
      assert.equal(front.headers.get('cache-control'), PUBLIC_CACHE_CONTROL);
      const frontKeys = keysOf(front);
      assert.deepEqual(frontKeys.slice(0, 2), ['site', 'listing']);
      assert.ok(
        frontKeys.length > 3 && frontKeys.slice(2).every((key) => /^statement-\d+$/.test(key)),
      );

      const page = await site.get(`/statements/${slug}`);
      assert.equal(page.headers.get('cache-control'), PUBLIC_CACHE_CONTROL);
      const pageKeys = keysOf(page);
      assert.deepEqual(pageKeys.slice(0, 2), ['site', `statement-${statement}`]);
      assert.ok(pageKeys.slice(2).length >= 1);
      assert.ok(pageKeys.slice(2).every((key) => /^organisation-\d+$/.test(key)));

      const organisation = await site.get('/organisations/liffeyside-tenants');
      assert.equal(organisation.headers.get('cache-control'), PUBLIC_CACHE_CONTROL);
      const organisationKeys = keysOf(organisation);
      assert.deepEqual(organisationKeys.slice(0, 3), ['site', `organisation-${liffey}`, 'listing']);
      assert.ok(organisationKeys.some((key) => key.startsWith('statement-')));

      for (const [path, keys] of [
        ['/feed.xml', ['site', 'feed']],
        ['/organisations/liffeyside-tenants/feed.atom', ['site', 'feed']],
        ['/sitemap.xml', ['site', 'sitemap']],
        ['/robots.txt', ['site']],
        ['/archive', ['site', 'listing']],
        ['/search?q=tenants', ['site', 'listing']],
      ] as const) {
        const response = await site.get(path);
        assert.equal(response.status, 200, path);
        assert.equal(response.headers.get('cache-control'), PUBLIC_CACHE_CONTROL, path);
        assert.deepEqual(keysOf(response), keys, path);
      }
      const about = await site.get('/about');
      assert.match(about.headers.get('surrogate-key') ?? '', /^site page-\d+$/);

      const again = await site.get('/', { 'if-none-match': front.headers.get('etag') ?? '' });
      assert.equal(again.status, 304);
      assert.equal(again.headers.get('cache-control'), PUBLIC_CACHE_CONTROL);
      assert.deepEqual(keysOf(again), frontKeys, 'a 304 carries the same keys');

      const apiStatement = await site.get(`/api/v1/statements/${slug}`);
      assert.equal(apiStatement.headers.get('cache-control'), PUBLIC_CACHE_CONTROL);
      assert.deepEqual(keysOf(apiStatement), pageKeys);
      const apiList = await site.get('/api/v1/statements?limit=3');
      const listKeys = keysOf(apiList);
      assert.equal(listKeys.length, 5);
      assert.deepEqual(listKeys.slice(0, 2), ['site', 'listing']);
      const apiOrganisation = await site.get('/api/v1/organisations/liffeyside-tenants');
      assert.deepEqual(keysOf(apiOrganisation), ['site', `organisation-${liffey}`]);
      const apiPages = await site.get('/api/v1/pages');
      assert.match(apiPages.headers.get('surrogate-key') ?? '', /^site pages page-\d+/);

      const missing = await site.get('/statements/no-such-statement');
      assert.equal(missing.status, 404);
      assert.equal(missing.headers.get('cache-control'), 'no-cache');
      assert.equal(missing.headers.get('surrogate-key'), null);
      const apiMissing = await site.get('/api/v1/statements/no-such-statement');
      assert.equal(apiMissing.status, 404);
      assert.equal(apiMissing.headers.get('surrogate-key'), null);
    });

    test('CDN lifetimes come from the environment', async () => {
      const tuned = await startSecondApp(site, {
        CDN_MAX_AGE: '120',
        CDN_STALE_WHILE_REVALIDATE: '30',
        CDN_STALE_IF_ERROR: '0',
      });
      try {
        const response = await fetch(`${tuned.origin}/feed.json`);
        assert.equal(
          response.headers.get('cache-control'),
          'public, max-age=60, s-maxage=120, stale-while-revalidate=30, stale-if-error=0',
        );
      } finally {
        await tuned.app.close();
      }
    });

    test('an Admin API publish purges its keys, without waiting for a slow receiver', async () => {
      await site.app.purger?.idle();
      const from = receiver.purges.length;
      receiver.delayMs = 1500;
      const liffey = await idOf(site, 'organisations', 'liffeyside-tenants');
      const nahr = await idOf(site, 'organisations', 'nahr-association');
      try {
        const created = await api('POST', '/api/v1/admin/statements', {
          title: 'Purge me from the edge',
          body: 'A statement for the CDN.',
          language: 'en',
          organisations: ['liffeyside-tenants', 'nahr-association'],
        });
        assert.equal(created.status, 201, JSON.stringify(created.json));
        const id = Number(created.json.id);
        const published = await api('POST', `/api/v1/admin/statements/${id}/transitions`, {
          transition: 'publish',
          version: created.json.version,
        });
        assert.equal(published.status, 200, JSON.stringify(published.json));
        const [purge] = (await receiver.received(from + 1)).slice(from);
        assert.ok(purge);
        assert.equal(purge.answeredAt, undefined, 'the publish was answered before the purge');
        await site.app.purger?.idle();
        assert.ok((purge.answeredAt ?? 0) - published.at > 500, 'long before the purge was');
        assert.equal(purge.headers.authorization, `Bearer ${PURGE_TOKEN}`);
        assert.equal(purge.headers['content-type'], 'application/json');
        for (const key of [
          `statement-${id}`,
          `organisation-${liffey}`,
          `organisation-${nahr}`,
          'listing',
          'feed',
          'sitemap',
        ])
          assert.ok(purge.keys.includes(key), `${key} in ${purge.keys.join(' ')}`);
        assert.ok(!purge.keys.includes('site'), 'not everything');
        assert.equal(receiver.purges.length, from + 1, 'the draft needed no purge');
      } finally {
        receiver.delayMs = 0;
      }
    });

    test('a back-office publish and a settings change purge their keys', async () => {
      await site.app.purger?.idle();
      const from = receiver.purges.length;
      const client = new BackOfficeClient(site.origin);
      assert.equal((await client.signIn('editor@example.org', TEST_PASSWORD)).status, 303);
      const created = await api('POST', '/api/v1/admin/statements', {
        title: 'Published from the back office',
        body: 'Another statement for the CDN.',
        language: 'en',
        organisations: ['steki-patras'],
      });
      const id = Number(created.json.id);
      const page = await client.get(`/admin/statements/${id}`);
      const version = /name="version" value="(\d+)"/.exec(page.html)?.[1] ?? '';
      const published = await client.post(`/admin/statements/${id}/transition`, {
        transition: 'publish',
        version,
      });
      assert.equal(published.status, 303);
      const [purge] = (await receiver.received(from + 1)).slice(from);
      const steki = await idOf(site, 'organisations', 'steki-patras');
      assert.ok(purge?.keys.includes(`statement-${id}`));
      assert.ok(purge?.keys.includes(`organisation-${steki}`));

      const adminId = await addUser(site.handle, 'admin@example.org', 'admin');
      const admin = await findUserById(site.handle.db, adminId);
      assert.ok(admin);
      const current = settingsDraftOf(await readSettings(site.handle.db));
      await updateSettings(
        site.handle,
        { user: admin, audit: { userId: adminId, label: 'test', ip: null } },
        { ...current, title: `${current.title} (renamed)` },
      );
      // What the back office's settings form does after saving.
      site.app.purger?.changed();
      const [settings] = (await receiver.received(from + 2)).slice(from + 1);
      assert.deepEqual(settings?.keys, ['site'], 'a settings change purges everything');
    });

    test('a failed purge is retried, then given up with an error line', async () => {
      await site.app.purger?.idle();
      const from = receiver.purges.length;
      const logs = new LogCapture();
      const purger = new CdnPurger({
        handle: site.handle,
        logger: createLogger({ logLevel: 'warn', logFormat: 'json' }, logs),
        url: receiver.url,
        token: null,
        retryDelaysMs: [50, 50],
      });
      await purger.start();
      receiver.status = (index) => (index - from < 3 ? 503 : 200);
      try {
        const organisation = await idOf(site, 'organisations', 'steki-patras');
        await site.handle.db
          .insertInto('audit_log')
          .values({
            at: new Date(),
            actor_user_id: null,
            actor_label: 'test',
            action: 'organisation.updated',
            subject_type: 'organisation',
            subject_id: organisation,
            detail: '{}',
            ip: null,
          })
          .execute();
        purger.changed();
        await purger.idle();
        const tries = receiver.purges.slice(from);
        assert.equal(tries.length, 3, 'the first try and two retries');
        assert.deepEqual(tries[0]?.keys, [
          `organisation-${organisation}`,
          'listing',
          'feed',
          'sitemap',
        ]);
        assert.equal(tries[0]?.headers.authorization, undefined, 'no token, no header');
        const levels = logs.json().map((line) => line.level);
        assert.deepEqual(levels, [40, 40, 50], 'two warnings, then an error');
        purger.changed();
        await purger.idle();
        assert.equal(receiver.purges.length, from + 3, 'a change is purged once');
      } finally {
        receiver.status = () => 200;
        await purger.stop();
      }
    });

    test('framework errors get a short page, or problem+json under /api/', async () => {
      for (const path of ['/organisations/%ZZ', `/organisations/${'a'.repeat(400)}`]) {
        const response = await site.get(path);
        assert.equal(response.status, path.includes('%ZZ') ? 400 : 414, path);
        assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
        assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
        const html = await response.text();
        assert.match(html, /^<!doctype html>/);
        assert.match(html, /<h1>That address is (not valid|too long)<\/h1>/);
        assert.doesNotMatch(html, /FST_|Error:|at .*\.js/);
      }
      const api = await site.get('/api/v1/organisations/%ZZ');
      assert.equal(api.status, 400);
      assert.equal(api.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      const problem = (await api.json()) as Record<string, unknown>;
      assert.equal(problem.status, 400);
      assert.equal(problem.title, 'Bad request');
      assert.doesNotMatch(JSON.stringify(problem), /FST_|stack/);
    });
  });

  if (engine === 'postgres')
    test('[postgres] readiness is 503 when the database has been dropped', async () => {
      const database = await createTestDatabase(engine);
      const config = loadConfig({ DATABASE_URL: database.url, PORT: '0' });
      const handle = await openDatabase(config.database);
      await migrateToLatest(handle);
      const app = await buildApp(
        config,
        handle,
        createLogger({ logLevel: 'silent', logFormat: 'json' }),
      );
      const origin = await app.server.listen({ port: 0, host: '127.0.0.1' });
      try {
        assert.equal((await fetch(`${origin}/healthz/ready`)).status, 200);
        await database.drop();
        const ready = await fetch(`${origin}/healthz/ready`);
        assert.equal(ready.status, 503);
        const body = (await ready.json()) as { failed: string[] };
        assert.deepEqual(body.failed, ['database']);
      } finally {
        await app.close();
        await handle.close().catch(() => {});
      }
    });
}

test('readiness is 503 while the server shuts down', async () => {
  const server = Fastify();
  const handle = { db: {} } as unknown as DatabaseHandle;
  registerHealthRoutes(server, { handle, shuttingDown: () => true });
  const response = await server.inject('/healthz/ready');
  assert.equal(response.statusCode, 503);
  assert.deepEqual(response.json(), {
    status: 'unavailable',
    failed: ['shutdown'],
    checks: { shutdown: { status: 'fail', reason: 'the server is shutting down' } },
  });
  await server.close();
});

describe('request ids and logs', () => {
  let site: TestSite;
  before(async () => {
    site = await startTestSite('sqlite', { demo: true });
  });
  after(() => site?.close());

  const requestLines = (logs: LogCapture) =>
    logs.json().filter((line) => typeof line.msg === 'string' && /^GET /.test(line.msg));

  test('JSON log lines carry the id sent back in X-Request-Id', async () => {
    const logs = new LogCapture();
    const second = await startSecondApp(site, { LOG_FORMAT: 'json' }, { logs, logLevel: 'info' });
    try {
      const response = await fetch(`${second.origin}/`, {
        headers: { 'x-request-id': 'from-an-untrusted-client' },
      });
      assert.equal(response.status, 200);
      const id = response.headers.get('x-request-id') ?? '';
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const [line] = requestLines(logs);
      assert.ok(line, logs.lines.join('\n'));
      assert.equal(line.reqId, id);
      assert.match(String(line.msg), /^GET \/ 200 \d+\.\d ms$/);
      assert.equal(line.statusCode, 200);
      assert.equal(line.url, '/');

      for (const path of ['/healthz', '/healthz/ready', '/metrics'])
        assert.equal((await fetch(`${second.origin}${path}`)).status, 200);
      assert.equal(requestLines(logs).length, 1, 'probes are not logged at info');
    } finally {
      await second.app.close();
    }
  });

  test('behind a trusted proxy a well-formed X-Request-Id is kept, others replaced', async () => {
    const logs = new LogCapture();
    const second = await startSecondApp(
      site,
      { LOG_FORMAT: 'json', TRUST_PROXY: '1' },
      { logs, logLevel: 'info' },
    );
    try {
      const kept = await fetch(`${second.origin}/archive`, {
        headers: { 'x-request-id': 'edge-4f1c.2_b' },
      });
      assert.equal(kept.headers.get('x-request-id'), 'edge-4f1c.2_b');
      assert.equal(requestLines(logs).at(-1)?.reqId, 'edge-4f1c.2_b');
      for (const bad of ['a'.repeat(65), 'has space', 'semi;colon', 'quote"d', '']) {
        const response = await fetch(`${second.origin}/archive`, {
          headers: { 'x-request-id': bad },
        });
        const id = response.headers.get('x-request-id') ?? '';
        assert.match(id, /^[0-9a-f-]{36}$/, bad);
        assert.equal(requestLines(logs).at(-1)?.reqId, id);
      }
    } finally {
      await second.app.close();
    }
  });

  test('the readable format keeps its one line, with the id at debug level', async () => {
    const info = new LogCapture();
    const debug = new LogCapture();
    const logger = createLogger({ logLevel: 'info', logFormat: 'pretty' }, info);
    logger.child({ reqId: 'abc-123' }).info('GET / 200 1.3 ms');
    const debugLogger = createLogger({ logLevel: 'debug', logFormat: 'pretty' }, debug);
    debugLogger.child({ reqId: 'abc-123' }).info({ statusCode: 200 }, 'GET / 200 1.3 ms');
    assert.equal(info.lines.length, 1);
    assert.match(info.lines[0] ?? '', /^\[\d\d:\d\d:\d\d\] INFO: GET \/ 200 1\.3 ms$/);
    assert.match(debug.lines[0] ?? '', /^\[\d\d:\d\d:\d\d\] INFO: GET \/ 200 1\.3 ms \[abc-123\]$/);
  });
});

test('CDN and metrics settings are checked at start', () => {
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ CDN_MAX_AGE: 'long' }, 'CDN_MAX_AGE', /whole number/],
    [{ CDN_STALE_WHILE_REVALIDATE: '-1' }, 'CDN_STALE_WHILE_REVALIDATE', /whole number/],
    [{ CDN_STALE_IF_ERROR: '99999999999' }, 'CDN_STALE_IF_ERROR', /between 0 and 31536000/],
    [{ CDN_PURGE_URL: 'ftp://cdn.example' }, 'CDN_PURGE_URL', /http or https/],
    [{ CDN_PURGE_URL: 'purge' }, 'CDN_PURGE_URL', /not an absolute URL/],
    [{ CDN_PURGE_TOKEN: 'short' }, 'CDN_PURGE_TOKEN', /16 to 512 printable/],
    [{ METRICS_TOKEN: 'has spaces in it, too many' }, 'METRICS_TOKEN', /without spaces/],
  ];
  for (const [env, variable, message] of cases) {
    assert.throws(
      () => loadConfig(env),
      (error: unknown) =>
        error instanceof ConfigError && error.variable === variable && message.test(error.message),
      variable,
    );
  }
  const defaults = loadConfig({});
  assert.deepEqual(defaults.cdn, {
    maxAgeSeconds: 300,
    staleWhileRevalidateSeconds: 86_400,
    staleIfErrorSeconds: 86_400,
    purgeUrl: null,
    purgeToken: null,
  });
  assert.equal(defaults.metricsToken, null);
});

/** nginx from NGINX_PATH or the usual places, or undefined. */
function findNginx(): string | undefined {
  const candidates = [
    process.env.NGINX_PATH,
    ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'nginx')),
    '/usr/sbin/nginx',
  ];
  return candidates.find((candidate) => candidate !== undefined && existsSync(candidate));
}

const nginx = findNginx();
if (nginx === undefined && process.env.CI === 'true')
  throw new Error('nginx is required under CI=true to check docs/nginx.conf; .ci/run installs it');
if (nginx === undefined)
  process.stderr.write('Notice: nginx is not installed; docs/nginx.conf is not checked.\n');

test('docs/nginx.conf passes nginx -t', { skip: nginx === undefined }, async () => {
  const run = promisify(execFile);
  const folder = await mkdtemp(path.join(tmpdir(), 'communique-nginx-'));
  try {
    await mkdir(path.join(folder, 'ssl'));
    await mkdir(path.join(folder, 'tmp'));
    // A throwaway certificate where the placeholders point, and every path inside the folder.
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=statements.example.org',
      '-keyout',
      path.join(folder, 'ssl/privkey.pem'),
      '-out',
      path.join(folder, 'ssl/fullchain.pem'),
    ]);
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
      .map((kind) => `    ${kind}_temp_path ${folder}/tmp/${kind};`)
      .join('\n');
    const config = (await readFile(new URL('../docs/nginx.conf', import.meta.url), 'utf8'))
      .replaceAll('/var/log/nginx', folder)
      .replaceAll('/var/cache/nginx', folder)
      .replaceAll('/etc/ssl/communique', path.join(folder, 'ssl'))
      .replace(/^http \{$/m, `http {\n${temp}`);
    const file = path.join(folder, 'nginx.conf');
    await writeFile(file, config);
    const { stderr } = await run(nginx ?? 'nginx', [
      '-t',
      '-e',
      'stderr',
      '-p',
      folder,
      '-c',
      file,
    ]);
    assert.match(stderr, /test is successful/);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
