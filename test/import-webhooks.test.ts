import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addUser, BackOfficeClient, TEST_PASSWORD } from './helpers/browser-session.ts';
import { runCli } from './helpers/cli.ts';
import { testEngines } from './helpers/engines.ts';
import { startTestSite, type TestSite } from './helpers/test-site.ts';

const BASE_URL = 'https://communique.example.org';
const SERVER_SECRET = 'a test server secret that is long enough to use';

interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver on loopback that records every request and answers 200. */
async function startReceiver() {
  const requests: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    requests,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Checks the signature header as the README tells receivers to. */
function assertSigned(request: ReceivedRequest, secret: string): void {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(
    String(request.headers['x-communique-signature']),
  );
  assert.ok(match, 'a signature header');
  const [, timestamp = '', signature = ''] = match;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest();
  assert.ok(timingSafeEqual(expected, Buffer.from(signature, 'hex')), 'the signature matches');
}

function statementFile(title: string, status: string, body: string): string {
  return `---\ntitle: ${title}\ndate: 2025-03-04T10:00:00+00:00\norganisations: [harbour-union]\nlanguage: en\nstatus: ${status}\n---\n${body}\n`;
}

for (const engine of await testEngines()) {
  describe(`[${engine}] communique import sends webhook events`, () => {
    let site: TestSite;
    let admin: BackOfficeClient;
    let work: string;

    before(async () => {
      site = await startTestSite(engine, {
        demo: false,
        env: { BASE_URL, COMMUNIQUE_SECRET: SERVER_SECRET },
      });
      await addUser(site.handle, 'admin@example.org', 'admin');
      admin = new BackOfficeClient(site.origin);
      assert.equal((await admin.signIn('admin@example.org', TEST_PASSWORD)).status, 303);
      work = await mkdtemp(path.join(tmpdir(), 'communique-import-webhooks-'));
    });
    after(async () => {
      await site?.close();
      await rm(work, { recursive: true, force: true });
    });

    /** Creates a webhook for all statement events through the back office; returns its secret. */
    const createWebhook = async (url: string) => {
      await admin.get('/admin/webhooks/new');
      const response = await admin.post('/admin/webhooks', {
        url,
        description: 'Import receiver',
        active: 'on',
        event_published: 'on',
        event_updated: 'on',
        event_unpublished: 'on',
      });
      assert.equal(response.status, 201, response.html);
      const secret = /id="webhook-secret"[^>]*>(whsec_[A-Za-z0-9_-]+)</.exec(response.html)?.[1];
      assert.ok(secret, 'the secret is on the page');
      return secret;
    };

    /** The outbox's events not seen before, as "slug event", sorted. */
    const seen = new Set<string>();
    const newEvents = async () => {
      const rows = await site.handle.db
        .selectFrom('webhook_events')
        .innerJoin('statements', 'statements.id', 'webhook_events.statement_id')
        .select(['webhook_events.id', 'webhook_events.event', 'statements.slug'])
        .execute();
      const fresh = rows.filter((row) => !seen.has(row.id));
      for (const row of fresh) seen.add(row.id);
      return fresh.map((row) => `${row.slug} ${row.event}`).sort();
    };

    test('an import announces new, changed, published and unpublished statements, never unchanged ones', async () => {
      const receiver = await startReceiver();
      try {
        const secret = await createWebhook(receiver.url);
        const folder = path.join(work, 'content');
        const statements = path.join(folder, 'statements');
        await mkdir(statements, { recursive: true });
        await mkdir(path.join(folder, 'organisations'));
        await writeFile(
          path.join(folder, 'organisations/harbour-union.md'),
          '---\nname: Harbour Union\ncountry: PT\nlanguage: pt\n---\nDockworkers in Setúbal.\n',
        );
        const write = (slug: string, status: string, body = 'As first written.') =>
          writeFile(path.join(statements, `${slug}.md`), statementFile(slug, status, body));
        await write('kept', 'published');
        await write('changed', 'published');
        await write('withdrawn', 'published');
        await write('later', 'draft');
        // The import runs as an operator would run it, in its own process beside the running server.
        const cliEnv = { DATABASE_URL: site.database.url };

        const first = await runCli(['import', folder], cliEnv);
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stdout, /Statements: 4 created, 0 updated, 0 unchanged/);
        assert.deepEqual(
          await newEvents(),
          [
            'changed statement.published',
            'kept statement.published',
            'withdrawn statement.published',
          ],
          'new published statements are announced, a new draft is not',
        );

        await write('changed', 'published', 'Said again, differently.');
        await write('withdrawn', 'draft');
        await write('later', 'published');
        await write('fresh', 'published');
        await write('notes', 'draft');
        const second = await runCli(['import', folder], cliEnv);
        assert.equal(second.code, 0, second.stderr);
        assert.match(second.stdout, /Statements: 2 created, 3 updated, 1 unchanged/);
        assert.deepEqual(await newEvents(), [
          'changed statement.updated',
          'fresh statement.published',
          'later statement.published',
          'withdrawn statement.unpublished',
        ]);

        const third = await runCli(['import', folder], cliEnv);
        assert.equal(third.code, 0, third.stderr);
        assert.match(third.stdout, /Statements: 0 created, 0 updated, 6 unchanged/);
        assert.deepEqual(await newEvents(), [], 'an import that changes nothing announces nothing');

        // The running server's delivery worker sends what the other process left in the outbox.
        await site.app.runWebhooks();
        assert.equal(receiver.requests.length, 7);
        const delivered: string[] = [];
        for (const request of receiver.requests) {
          assertSigned(request, secret);
          const body = JSON.parse(request.body);
          assert.equal(request.headers['x-communique-event'], body.event);
          assert.equal(body.statement.url, `${BASE_URL}/statements/${body.statement.slug}`);
          assert.deepEqual(body.statement.organisations, [
            { slug: 'harbour-union', name: 'Harbour Union', country: 'PT' },
          ]);
          delivered.push(`${body.statement.slug} ${body.event}`);
        }
        assert.deepEqual(delivered.sort(), [
          'changed statement.published',
          'changed statement.updated',
          'fresh statement.published',
          'kept statement.published',
          'later statement.published',
          'withdrawn statement.published',
          'withdrawn statement.unpublished',
        ]);
        const changed = receiver.requests
          .map((request) => JSON.parse(request.body))
          .find((body) => body.event === 'statement.updated');
        assert.equal(changed?.statement.title, 'changed');
        const statuses = await site.handle.db
          .selectFrom('webhook_deliveries')
          .select('status')
          .execute();
        assert.deepEqual(
          statuses.map((row) => row.status),
          Array(7).fill('delivered'),
        );
      } finally {
        await receiver.close();
      }
    });

    test("a running server sends an import's events as soon as it sees the change, not at its next poll", async () => {
      const receiver = await startReceiver();
      try {
        const secret = await createWebhook(receiver.url);
        const folder = path.join(work, 'prompt');
        await mkdir(path.join(folder, 'statements'), { recursive: true });
        await mkdir(path.join(folder, 'organisations'));
        await writeFile(
          path.join(folder, 'organisations/harbour-union.md'),
          '---\nname: Harbour Union\ncountry: PT\nlanguage: pt\n---\nDockworkers in Setúbal.\n',
        );
        await writeFile(
          path.join(folder, 'statements/prompt.md'),
          statementFile('prompt', 'published', 'Sent without waiting.'),
        );
        const before = receiver.requests.length;
        const imported = await runCli(['import', folder], { DATABASE_URL: site.database.url });
        assert.equal(imported.code, 0, imported.stderr);
        const importedAt = performance.now();
        // The delivery worker's own poll is 5 s; the content check is 1 s (SQLite) or a notification.
        while (receiver.requests.length === before && performance.now() - importedAt < 3500)
          await new Promise((resolve) => setTimeout(resolve, 50));
        const fresh = receiver.requests.slice(before).map((request) => JSON.parse(request.body));
        assert.deepEqual(
          fresh.map((body) => `${body.statement.slug} ${body.event}`),
          ['prompt statement.published'],
          `delivered within 3.5 s of the import (${Math.round(performance.now() - importedAt)} ms)`,
        );
        assertSigned(receiver.requests[before] as ReceivedRequest, secret);
      } finally {
        await receiver.close();
      }
    });
  });
}
