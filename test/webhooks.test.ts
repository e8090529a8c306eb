import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { HtmlValidate } from 'html-validate';
import { ConfigError, loadConfig } from '../src/config.ts';
import { type DatabaseHandle, openDatabase } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { webhooks as webhooksMigration } from '../src/db/migrations/0008-webhooks.ts';
import { createLogger } from '../src/http/logger.ts';
import { WebhookDeliveryWorker } from '../src/webhooks/index.ts';
import { addUser, BackOfficeClient, TEST_PASSWORD } from './helpers/browser-session.ts';
import { createTestDatabase, testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

const BASE_URL = 'https://communique.example.org';
const MAX_ATTEMPTS = 3;
const TIMEOUT_MS = 1000;
const SERVER_SECRET = 'a test server secret that is long enough to use';

interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Answer = number | 'hang';

/** A real HTTP receiver on loopback that records every request and answers as told. */
class Receiver {
  readonly requests: ReceivedRequest[] = [];
  answer: (index: number) => Answer = () => 200;
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(answer?: (index: number) => Answer): Promise<Receiver> {
    let receiver: Receiver | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (receiver === undefined) return;
        const index = receiver.requests.length;
        receiver.requests.push({
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const reply = receiver.answer(index);
        if (reply === 'hang') return;
        response.writeHead(reply, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    receiver = new Receiver(server);
    if (answer !== undefined) receiver.answer = answer;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks/communique`;
  }

  bodies(): { id: string; event: string; occurred_at: string; statement: StatementBody | null }[] {
    return this.requests.map((request) => JSON.parse(request.body));
  }

  async waitFor(count: number, timeoutMs = 8000): Promise<void> {
    await waitUntil(
      () => this.requests.length >= count,
      timeoutMs,
      `${count} requests (got ${this.requests.length})`,
    );
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }
}

interface StatementBody {
  id: number;
  slug: string;
  language: string;
  title: string;
  url: string;
  published_at: string;
  updated_at: string;
  organisations: { slug: string; name: string; country: string }[];
}

async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Checks the signature header exactly as the README tells receivers to, with node:crypto only. */
function assertSigned(request: ReceivedRequest, secret: string): void {
  const header = request.headers['x-communique-signature'];
  assert.equal(typeof header, 'string', 'a signature header');
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(header));
  assert.ok(match, `signature header format: ${header}`);
  const [, timestamp = '', signature = ''] = match;
  assert.ok(Math.abs(Date.now() / 1000 - Number(timestamp)) < 300, 'a fresh timestamp');
  const expected = createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest();
  assert.ok(timingSafeEqual(expected, Buffer.from(signature, 'hex')), 'the signature matches');
  const forged = createHmac('sha256', 'whsec_wrong')
    .update(`${timestamp}.${request.body}`)
    .digest();
  assert.ok(!timingSafeEqual(forged, Buffer.from(signature, 'hex')), 'another secret does not');
}

const validator = new HtmlValidate({
  extends: ['html-validate:recommended', 'html-validate:a11y'],
  rules: { 'no-raw-characters': 'off', 'long-title': 'off' },
});

async function assertValidHtml(html: string): Promise<void> {
  const report = await validator.validateString(html);
  const messages = report.results.flatMap((result) =>
    result.messages.map(
      (message) => `${message.line}:${message.column} ${message.ruleId}: ${message.message}`,
    ),
  );
  assert.deepEqual(messages, [], messages.join('\n'));
}

test('webhook settings are checked at start with one clear line', () => {
  const config = loadConfig({});
  assert.deepEqual(config.webhooks, { maxAttempts: 8, retryBaseMs: 30_000, timeoutMs: 10_000 });
  assert.throws(
    () => loadConfig({ WEBHOOK_MAX_ATTEMPTS: '0' }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message === 'Configuration error: WEBHOOK_MAX_ATTEMPTS must be between 1 and 50, got 0',
  );
  assert.throws(
    () => loadConfig({ WEBHOOK_RETRY_BASE_MS: 'soon' }),
    /WEBHOOK_RETRY_BASE_MS must be a whole number between 10 and 86400000, got "soon"/,
  );
  assert.throws(
    () => loadConfig({ WEBHOOK_TIMEOUT_MS: '5' }),
    /WEBHOOK_TIMEOUT_MS must be between/,
  );
});

for (const engine of await testEngines()) {
  describe(`[${engine}] webhooks`, () => {
    let site: TestSite;
    let admin: BackOfficeClient;
    let liffey: number;
    let statementCounter = 0;

    before(async () => {
      site = await startTestSite(engine, {
        env: {
          BASE_URL,
          COMMUNIQUE_SECRET: SERVER_SECRET,
          WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
          WEBHOOK_RETRY_BASE_MS: '50',
          WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
        },
      });
      await addUser(site.handle, 'admin@example.org', 'admin');
      await addUser(site.handle, 'editor@example.org', 'editor');
      admin = new BackOfficeClient(site.origin);
      assert.equal((await admin.signIn('admin@example.org', TEST_PASSWORD)).status, 303);
      liffey = (
        await site.handle.db
          .selectFrom('organisations')
          .select('id')
          .where('slug', '=', 'liffeyside-tenants')
          .executeTakeFirstOrThrow()
      ).id;
    });
    after(() => site?.close());

    const webhookForm = (
      url: string,
      events = ['published', 'updated', 'unpublished'],
      extra: Record<string, string> = {},
    ): Record<string, string> => {
      const form: Record<string, string> = { url, description: 'Test receiver', active: 'on' };
      for (const event of events) form[`event_${event}`] = 'on';
      return { ...form, ...extra };
    };

    /** Creates a webhook through the back-office form and reads the secret from the page shown once. */
    const createWebhook = async (url: string, events?: string[]) => {
      await admin.get('/admin/webhooks/new');
      const response = await admin.post('/admin/webhooks', webhookForm(url, events));
      assert.equal(response.status, 201, response.html);
      const secret = /id="webhook-secret"[^>]*>(whsec_[A-Za-z0-9_-]+)</.exec(response.html)?.[1];
      assert.ok(secret, 'the secret is on the page');
      const id = Number(/href="\/admin\/webhooks\/(\d+)"/.exec(response.html)?.[1]);
      assert.ok(id > 0);
      return { id, secret };
    };

    const deleteWebhook = async (id: number) => {
      await admin.get(`/admin/webhooks/${id}`);
      assert.equal((await admin.post(`/admin/webhooks/${id}/delete`, {})).status, 303);
    };

    const versionOf = async (id: number) => {
      const page = await admin.get(`/admin/statements/${id}`);
      return /name="version" value="(\d+)"/.exec(page.html)?.[1] ?? 'missing';
    };

    const statementForm = (title: string) => ({
      title,
      slug: '',
      body: 'Tenants need heat this winter.',
      summary: '',
      language: 'en',
      date: '2026-11-20T10:00',
      intent: 'save',
      signatory_1: String(liffey),
    });

    const draftStatement = async (title?: string) => {
      statementCounter += 1;
      await admin.get('/admin/statements/new');
      const response = await admin.post(
        '/admin/statements',
        statementForm(title ?? `Webhook statement ${statementCounter}`),
      );
      assert.equal(response.status, 303, response.html);
      return Number(/\/admin\/statements\/(\d+)/.exec(response.headers.get('location') ?? '')?.[1]);
    };

    const transition = async (id: number, name: string, fields: Record<string, string> = {}) => {
      const response = await admin.post(`/admin/statements/${id}/transition`, {
        transition: name,
        version: await versionOf(id),
        ...fields,
      });
      assert.equal(response.status, 303, response.html);
      return response;
    };

    const deliveriesOf = (webhookId: number) =>
      site.handle.db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('webhook_id', '=', webhookId)
        .execute();

    test('an administrator creates a webhook; its secret is shown once and stored only encrypted', async () => {
      const list = await admin.get('/admin/webhooks');
      assert.equal(list.status, 200);
      await assertValidHtml(list.html);
      const form = await admin.get('/admin/webhooks/new');
      assert.equal(form.status, 200);
      await assertValidHtml(form.html);

      const refused = await admin.post(
        '/admin/webhooks',
        webhookForm('https://receiver.example.org/hook'),
        { csrf: null },
      );
      assert.equal(refused.status, 403, 'no CSRF token, no webhook');
      assert.equal((await site.handle.db.selectFrom('webhooks').selectAll().execute()).length, 0);

      await admin.get('/admin/webhooks/new');
      const created = await admin.post(
        '/admin/webhooks',
        webhookForm('https://receiver.example.org/hook?token=abc', ['published']),
      );
      assert.equal(created.status, 201);
      assert.match(created.html, /shown only this once/);
      await assertValidHtml(created.html);
      const secret = /id="webhook-secret"[^>]*>(whsec_[A-Za-z0-9_-]{43})</.exec(created.html)?.[1];
      assert.ok(secret);

      const row = await site.handle.db.selectFrom('webhooks').selectAll().executeTakeFirstOrThrow();
      assert.equal(row.url, 'https://receiver.example.org/hook?token=abc');
      assert.deepEqual(JSON.parse(row.events), ['statement.published']);
      assert.equal(row.active, 1);
      assert.match(row.secret_sealed, /^v1\./, 'sealed with the server key');
      assert.ok(!JSON.stringify(row).includes(secret), 'the secret is not stored in plain text');
      assert.ok(
        !JSON.stringify(row).includes(secret.slice('whsec_'.length, 20)),
        'nor any recognisable part of it',
      );

      const page = await admin.get(`/admin/webhooks/${row.id}`);
      assert.equal(page.status, 200);
      assert.ok(!page.html.includes(secret), 'the secret is never shown again');
      await assertValidHtml(page.html);
      const listed = await admin.get('/admin/webhooks');
      assert.match(listed.html, /receiver\.example\.org\/hook/);

      const audit = await site.handle.db
        .selectFrom('audit_log')
        .select(['action', 'detail', 'actor_label'])
        .where('subject_type', '=', 'webhook')
        .where('subject_id', '=', row.id)
        .execute();
      assert.deepEqual(
        audit.map((entry) => [entry.action, entry.actor_label]),
        [['webhook.created', 'admin@example.org']],
      );
      assert.ok(!audit[0]?.detail.includes('token=abc'), 'tokens in the query stay out of the log');
      await deleteWebhook(row.id);
    });

    test('bad input gets field messages, and nothing is stored or changed', async () => {
      await admin.get('/admin/webhooks/new');
      const bad = await admin.post('/admin/webhooks', {
        url: 'ftp://files.example.org/in',
        description: 'x'.repeat(501),
        active: 'on',
      });
      assert.equal(bad.status, 422);
      assert.match(bad.html, /The webhook was not created/);
      assert.match(bad.html, /only https:\/\/ and http:\/\/ addresses can receive webhooks/);
      assert.match(bad.html, /Description: it can be at most 500 characters/);
      assert.match(bad.html, /Events: choose at least one event/);
      assert.match(bad.html, /value="ftp:\/\/files\.example\.org\/in"/, 'the input is kept');
      await assertValidHtml(bad.html);
      for (const url of [
        '',
        'not an address',
        'javascript:alert(1)',
        'https://user:pw@example.org/',
      ]) {
        const response = await admin.post('/admin/webhooks', webhookForm(url));
        assert.equal(response.status, 422, url);
        assert.match(response.html, /id="url-error"/, url);
      }
      assert.equal((await site.handle.db.selectFrom('webhooks').selectAll().execute()).length, 0);

      const { id } = await createWebhook('https://receiver.example.org/keep');
      await admin.get(`/admin/webhooks/${id}`);
      const badEdit = await admin.post(
        `/admin/webhooks/${id}`,
        webhookForm('mailto:a@example.org', []),
      );
      assert.equal(badEdit.status, 422);
      assert.match(badEdit.html, /The changes were not saved/);
      const row = await site.handle.db
        .selectFrom('webhooks')
        .select(['url', 'events'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.equal(row.url, 'https://receiver.example.org/keep');
      assert.equal(JSON.parse(row.events).length, 3);
      await deleteWebhook(id);
    });

    test('only administrators manage webhooks', async () => {
      const { id } = await createWebhook('https://receiver.example.org/admins-only');
      const editor = new BackOfficeClient(site.origin);
      await editor.signIn('editor@example.org', TEST_PASSWORD);
      assert.equal((await editor.get('/admin/webhooks')).status, 403);
      assert.equal((await editor.get(`/admin/webhooks/${id}`)).status, 403);
      const dashboard = await editor.get('/admin');
      assert.doesNotMatch(dashboard.html, /href="\/admin\/webhooks"/, 'no menu link');
      const created = await editor.post(
        '/admin/webhooks',
        webhookForm('https://evil.example.org/'),
      );
      assert.equal(created.status, 403);
      assert.equal((await editor.post(`/admin/webhooks/${id}/delete`, {})).status, 403);
      assert.equal((await editor.post(`/admin/webhooks/${id}/rotate-secret`, {})).status, 403);
      assert.doesNotMatch(
        (await editor.post(`/admin/webhooks/${id}/rotate-secret`, {})).html,
        /whsec_/,
      );
      const rows = await site.handle.db.selectFrom('webhooks').select('url').execute();
      assert.deepEqual(
        rows.map((row) => row.url),
        ['https://receiver.example.org/admins-only'],
      );
      assert.match((await admin.get('/admin')).html, /href="\/admin\/webhooks"/);
      await deleteWebhook(id);
    });

    test('publishing, editing and unpublishing deliver signed statement events', async () => {
      const receiver = await Receiver.start();
      try {
        const { id: webhookId, secret } = await createWebhook(receiver.url);
        const statementId = await draftStatement('Heat for every tenant');
        assert.equal(receiver.requests.length, 0, 'a draft is not announced');

        await transition(statementId, 'publish');
        await receiver.waitFor(1);
        const [published] = receiver.requests;
        assert.ok(published);
        assert.equal(published.method, 'POST');
        assert.equal(published.url, '/hooks/communique');
        assert.equal(published.headers['content-type'], 'application/json');
        assert.equal(published.headers['user-agent'], 'Communique-Webhooks/1');
        assert.equal(published.headers['x-communique-event'], 'statement.published');
        assert.match(String(published.headers['x-communique-delivery']), /^[0-9a-f-]{36}$/);
        assertSigned(published, secret);
        const body = JSON.parse(published.body);
        assert.deepEqual(Object.keys(body), ['id', 'event', 'occurred_at', 'statement']);
        assert.equal(body.event, 'statement.published');
        assert.match(body.id, /^[0-9a-f-]{36}$/);
        assert.ok(!Number.isNaN(Date.parse(body.occurred_at)));
        const row = await site.handle.db
          .selectFrom('statements')
          .select(['slug', 'published_at', 'updated_at'])
          .where('id', '=', statementId)
          .executeTakeFirstOrThrow();
        assert.deepEqual(body.statement, {
          id: statementId,
          slug: row.slug,
          language: 'en',
          title: 'Heat for every tenant',
          url: `${BASE_URL}/statements/${row.slug}`,
          published_at: new Date(row.published_at).toISOString(),
          updated_at: new Date(row.updated_at).toISOString(),
          organisations: [
            { slug: 'liffeyside-tenants', name: "Liffeyside Tenants' Alliance", country: 'IE' },
          ],
        });

        await admin.get(`/admin/statements/${statementId}`);
        const edited = await admin.post(`/admin/statements/${statementId}`, {
          ...statementForm('Heat for every tenant, now'),
          slug: row.slug,
          version: await versionOf(statementId),
        });
        assert.equal(edited.status, 303, edited.html);
        await receiver.waitFor(2);
        const updated = receiver.requests[1];
        assert.ok(updated);
        assertSigned(updated, secret);
        assert.equal(JSON.parse(updated.body).event, 'statement.updated');
        assert.equal(JSON.parse(updated.body).statement.title, 'Heat for every tenant, now');

        await transition(statementId, 'unpublish');
        await receiver.waitFor(3);
        const unpublished = receiver.requests[2];
        assert.ok(unpublished);
        assertSigned(unpublished, secret);
        assert.equal(JSON.parse(unpublished.body).event, 'statement.unpublished');

        const bodies = receiver.bodies();
        assert.equal(new Set(bodies.map((entry) => entry.id)).size, 3, 'one event id each');
        const log = await admin.get(`/admin/webhooks/${webhookId}`);
        assert.equal(log.html.match(/data-status="delivered"/g)?.length, 3);
        for (const event of ['statement.published', 'statement.updated', 'statement.unpublished'])
          assert.match(log.html, new RegExp(`<code>${event.replace('.', '\\.')}</code>`));
        await assertValidHtml(log.html);
        await deleteWebhook(webhookId);
      } finally {
        await receiver.close();
      }
    });

    test('a statement published by the scheduler is announced, and only to webhooks that asked', async () => {
      const receiver = await Receiver.start();
      const uninterested = await Receiver.start();
      try {
        const { id: webhookId, secret } = await createWebhook(receiver.url, ['published']);
        const { id: otherId } = await createWebhook(uninterested.url, ['unpublished']);
        const statementId = await draftStatement();
        await transition(statementId, 'schedule', { publish_at: '2099-01-01T10:00' });
        assert.equal(receiver.requests.length, 0, 'scheduling is not publishing');
        // The time comes: as if the clock had moved on.
        await site.handle.db
          .updateTable('statements')
          .set({ published_at: new Date(Date.now() - 1000) })
          .where('id', '=', statementId)
          .execute();
        await site.app.runScheduler();
        await receiver.waitFor(1);
        const [request] = receiver.requests;
        assert.ok(request);
        assertSigned(request, secret);
        const body = JSON.parse(request.body);
        assert.equal(body.event, 'statement.published');
        assert.equal(body.statement.id, statementId);
        await site.app.runWebhooks();
        assert.equal(uninterested.requests.length, 0);
        await deleteWebhook(webhookId);
        await deleteWebhook(otherId);
      } finally {
        await receiver.close();
        await uninterested.close();
      }
    });

    test('a receiver that answers 500 once is tried again, and the log shows success on attempt 2', async () => {
      const receiver = await Receiver.start((index) => (index === 0 ? 500 : 200));
      try {
        const { id: webhookId, secret } = await createWebhook(receiver.url, ['published']);
        const statementId = await draftStatement();
        await transition(statementId, 'publish');
        await receiver.waitFor(2);
        const [first, second] = receiver.requests;
        assert.ok(first && second);
        assertSigned(second, secret);
        assert.equal(first.body, second.body, 'the same event, byte for byte');
        assert.equal(
          first.headers['x-communique-delivery'],
          second.headers['x-communique-delivery'],
          'the same delivery',
        );
        await waitUntil(
          async () => (await deliveriesOf(webhookId))[0]?.status === 'delivered',
          5000,
          'the delivery to be recorded',
        );
        const [delivery] = await deliveriesOf(webhookId);
        assert.equal(delivery?.attempts, 2);
        assert.equal(delivery?.last_status_code, 200);
        assert.equal(delivery?.last_error, null);
        const log = await admin.get(`/admin/webhooks/${webhookId}`);
        const row = /<tr id="delivery-[^"]+" data-status="delivered">([\s\S]*?)<\/tr>/.exec(
          log.html,
        )?.[1];
        assert.ok(row, 'a delivered row in the log');
        assert.match(row, /Delivered/);
        assert.match(row, /<td class="attempts">2<\/td>/);
        assert.match(row, /HTTP 200/);
        await deleteWebhook(webhookId);
      } finally {
        await receiver.close();
      }
    });

    test(`a receiver that always fails is given up after ${MAX_ATTEMPTS} attempts`, async () => {
      const receiver = await Receiver.start(() => 503);
      try {
        const { id: webhookId } = await createWebhook(receiver.url, ['published']);
        const statementId = await draftStatement();
        await transition(statementId, 'publish');
        await waitUntil(
          async () => (await deliveriesOf(webhookId))[0]?.status === 'failed',
          8000,
          'the delivery to fail for good',
        );
        const [delivery] = await deliveriesOf(webhookId);
        assert.equal(delivery?.attempts, MAX_ATTEMPTS);
        assert.equal(delivery?.last_status_code, 503);
        assert.match(delivery?.last_error ?? '', /answered 503/);
        assert.equal(receiver.requests.length, MAX_ATTEMPTS);
        await new Promise((resolve) => setTimeout(resolve, 400));
        assert.equal(receiver.requests.length, MAX_ATTEMPTS, 'no attempt after giving up');
        const log = await admin.get(`/admin/webhooks/${webhookId}`);
        const row = /<tr id="delivery-[^"]+" data-status="failed">([\s\S]*?)<\/tr>/.exec(
          log.html,
        )?.[1];
        assert.ok(row, 'a failed row in the log');
        assert.match(row, /Failed/);
        assert.match(row, new RegExp(`<td class="attempts">${MAX_ATTEMPTS}</td>`));
        assert.match(row, /HTTP 503/);
        const list = await admin.get('/admin/webhooks');
        assert.match(list.html, /0 delivered, 0 waiting, 1 failed/);
        await deleteWebhook(webhookId);
      } finally {
        await receiver.close();
      }
    });

    test('a receiver that never answers holds up neither the publish nor other receivers', async () => {
      const silent = await Receiver.start(() => 'hang');
      const healthy = await Receiver.start();
      try {
        const { id: silentId } = await createWebhook(silent.url, ['published']);
        const { id: healthyId, secret } = await createWebhook(healthy.url, ['published']);
        const statementId = await draftStatement();
        const version = await versionOf(statementId);
        const started = performance.now();
        const response = await admin.post(`/admin/statements/${statementId}/transition`, {
          transition: 'publish',
          version,
        });
        const elapsed = performance.now() - started;
        assert.equal(response.status, 303);
        assert.ok(elapsed < TIMEOUT_MS / 2, `publishing took ${elapsed.toFixed(0)} ms`);
        await healthy.waitFor(1);
        assertSigned(healthy.requests[0] ?? assert.fail('no request'), secret);
        await silent.waitFor(1);
        assert.equal(
          (await deliveriesOf(silentId))[0]?.status,
          'pending',
          'the silent receiver is still being waited for',
        );
        await waitUntil(
          async () => (await deliveriesOf(silentId))[0]?.last_error !== null,
          TIMEOUT_MS + 3000,
          'the request to time out',
        );
        const [delivery] = await deliveriesOf(silentId);
        assert.match(delivery?.last_error ?? '', /No answer within 1 s/);
        await deleteWebhook(silentId);
        await deleteWebhook(healthyId);
      } finally {
        await silent.close();
        await healthy.close();
      }
    });

    test('a test event, a new secret, changes and deletion: signed with the new secret and audited', async () => {
      const receiver = await Receiver.start();
      try {
        const { id: webhookId, secret: firstSecret } = await createWebhook(receiver.url);
        await admin.get(`/admin/webhooks/${webhookId}`);
        const rotated = await admin.post(`/admin/webhooks/${webhookId}/rotate-secret`, {});
        assert.equal(rotated.status, 200);
        const secret = /id="webhook-secret"[^>]*>(whsec_[A-Za-z0-9_-]+)</.exec(rotated.html)?.[1];
        assert.ok(secret && secret !== firstSecret);

        await admin.get(`/admin/webhooks/${webhookId}`);
        const sent = await admin.post(`/admin/webhooks/${webhookId}/test`, {});
        assert.equal(sent.status, 303);
        await receiver.waitFor(1);
        const [request] = receiver.requests;
        assert.ok(request);
        assertSigned(request, secret);
        const body = JSON.parse(request.body);
        assert.equal(body.event, 'webhook.test');
        assert.match(body.statement.url, new RegExp(`^${BASE_URL}/statements/`));
        assert.equal(request.headers['x-communique-event'], 'webhook.test');

        await admin.get(`/admin/webhooks/${webhookId}`);
        const off = await admin.post(
          `/admin/webhooks/${webhookId}`,
          webhookForm(receiver.url, ['published'], { active: '' }),
        );
        assert.equal(off.status, 303);
        const offPage = await admin.get(`/admin/webhooks/${webhookId}`);
        assert.match(offPage.html, /status-disabled">Off/);
        const refused = await admin.post(`/admin/webhooks/${webhookId}/test`, {});
        assert.equal(refused.status, 409);
        assert.match(refused.html, /Switch the webhook on/);
        const statementId = await draftStatement();
        await transition(statementId, 'publish');
        await site.app.runWebhooks();
        assert.equal(receiver.requests.length, 1, 'a switched-off webhook gets nothing');
        assert.equal((await deliveriesOf(webhookId)).length, 1, 'and nothing is queued for it');

        await deleteWebhook(webhookId);
        assert.equal((await deliveriesOf(webhookId)).length, 0, 'its log goes with it');
        const audit = await site.handle.db
          .selectFrom('audit_log')
          .select(['action', 'detail'])
          .where('subject_type', '=', 'webhook')
          .where('subject_id', '=', webhookId)
          .orderBy('id')
          .execute();
        assert.deepEqual(
          audit.map((entry) => entry.action),
          ['webhook.created', 'webhook.secret_rotated', 'webhook.updated', 'webhook.deleted'],
        );
        assert.deepEqual(JSON.parse(audit[2]?.detail ?? '{}'), {
          events: ['statement.published'],
          active: false,
        });
        for (const entry of audit)
          assert.ok(!entry.detail.includes('whsec_'), 'no secret in the log');
        const auditPage = await admin.get('/admin/audit?action=webhook.');
        assert.match(auditPage.html, /webhook\.secret_rotated/);
      } finally {
        await receiver.close();
      }
    });

    test('several workers sharing the database never send one delivery twice', async () => {
      const receiver = await Receiver.start();
      const second: DatabaseHandle = await openDatabase(
        loadConfig({ DATABASE_URL: site.database.url }).database,
      );
      const config = loadConfig({
        DATABASE_URL: site.database.url,
        BASE_URL,
        COMMUNIQUE_SECRET: SERVER_SECRET,
      });
      const workers = [site.handle, second, site.handle].map(
        (handle) =>
          new WebhookDeliveryWorker({
            handle,
            logger: createLogger({ logLevel: 'silent', logFormat: 'json' }),
            keys: config,
            baseUrl: BASE_URL,
            delivery: config.webhooks,
          }),
      );
      try {
        const webhookIds: number[] = [];
        for (let index = 0; index < 3; index += 1)
          webhookIds.push((await createWebhook(receiver.url, ['published'])).id);
        for (let index = 0; index < 4; index += 1)
          await transition(await draftStatement(), 'publish');
        await Promise.all(workers.map((worker) => worker.runOnce()));
        await site.app.runWebhooks();
        await receiver.waitFor(12);
        await new Promise((resolve) => setTimeout(resolve, 300));
        const deliveryIds = receiver.requests.map(
          (request) => request.headers['x-communique-delivery'],
        );
        assert.equal(deliveryIds.length, 12, 'four events to three webhooks');
        assert.equal(new Set(deliveryIds).size, 12, 'each delivery sent once');
        for (const id of webhookIds) {
          const rows = await deliveriesOf(id);
          assert.ok(rows.every((row) => row.status === 'delivered' && row.attempts === 1));
          await deleteWebhook(id);
        }
      } finally {
        await Promise.all(workers.map((worker) => worker.stop()));
        await second.close();
        await receiver.close();
      }
    });

    test('the migration can be undone and done again', async () => {
      const fresh = await createTestDatabase(engine);
      const database = await openDatabase(loadConfig({ DATABASE_URL: fresh.url }).database);
      try {
        await migrateToLatest(database);
        const tables = async () =>
          (await database.db.introspection.getTables()).map((table) => table.name);
        const ours = ['webhooks', 'webhook_events', 'webhook_deliveries'];
        let names = await tables();
        assert.deepEqual(
          ours.filter((name) => names.includes(name)),
          ours,
        );
        const migration = webhooksMigration(database.helpers);
        await migration.down(database.db);
        names = await tables();
        assert.deepEqual(
          ours.filter((name) => names.includes(name)),
          [],
        );
        assert.ok(names.includes('statements'), 'the rest of the schema stays');
        await migration.up(database.db);
        names = await tables();
        assert.deepEqual(
          ours.filter((name) => names.includes(name)),
          ours,
        );
      } finally {
        await database.close();
        await fresh.drop();
      }
    });
  });
}
