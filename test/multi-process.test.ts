import assert from 'node:assert/strict';
import { createServer, get, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { findUserById } from '../src/accounts/user-repository.ts';
import { loadConfig } from '../src/config.ts';
import { LISTENER_APPLICATION_NAME } from '../src/site/content-notifications.ts';
import { createWebhook } from '../src/webhooks/index.ts';
import { createTestDatabase, type TestDatabase, testEngines } from './helpers/engines.ts';
import {
  adminApi,
  openTestHandle,
  prepareSite,
  type ServerProcess,
  startServer,
  TEST_SECRET,
} from './helpers/server-process.ts';

const engines = await testEngines();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const SCHEDULED_COUNT = 5;

/** Polls a page every 50 ms until it satisfies `seen`; returns how long that took. */
async function visibleAfter(
  origin: string,
  path: string,
  seen: (html: string) => boolean,
  limitMs: number,
): Promise<number> {
  const started = performance.now();
  for (;;) {
    const response = await fetch(`${origin}${path}`, { signal: AbortSignal.timeout(5000) });
    const html = await response.text();
    const elapsed = performance.now() - started;
    if (response.status === 200 && seen(html)) return elapsed;
    if (elapsed > limitMs)
      assert.fail(`${path} on ${origin} unchanged after ${Math.round(elapsed)} ms`);
    await sleep(50);
  }
}

/** A GET on a new connection, so that a cluster hands it to its next worker. */
function freshGet(origin: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(`${origin}${path}`, { agent: false, timeout: 5000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${path} timed out`)));
    request.on('error', reject);
  });
}

/** A webhook receiver on loopback that records every event it is sent. */
async function startReceiver(): Promise<{
  server: Server;
  url: string;
  events: Array<{ id: string; event: string; statementId: number }>;
}> {
  const events: Array<{ id: string; event: string; statementId: number }> = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      const parsed = JSON.parse(body) as { id: string; event: string; statement?: { id: number } };
      events.push({ id: parsed.id, event: parsed.event, statementId: parsed.statement?.id ?? 0 });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { server, url: `http://127.0.0.1:${port}/hook`, events };
}

/** Scheduled statements already due, written straight into the database before any server runs. */
async function insertDueStatements(url: string, count: number): Promise<number[]> {
  const handle = await openTestHandle(url);
  try {
    const organisation = await handle.db
      .selectFrom('organisations')
      .select('id')
      .where('slug', '=', 'liffeyside-tenants')
      .executeTakeFirstOrThrow();
    const ids: number[] = [];
    const due = new Date(Date.now() - 60_000);
    for (let index = 0; index < count; index += 1) {
      const { id } = await handle.db
        .insertInto('statements')
        .values({
          slug: `due-statement-${index}`,
          title: `Due statement ${index}`,
          body_md: 'Published by the scheduler.',
          body_html: '<p>Published by the scheduler.</p>',
          summary_md: null,
          summary_html: null,
          language: 'en',
          status: 'scheduled',
          published_at: due,
          translation_of_id: null,
          created_at: due,
          updated_at: due,
          created_by: null,
          translation_source_hash: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await handle.db
        .insertInto('statement_signatories')
        .values({ statement_id: id, organisation_id: organisation.id, position: 0 })
        .execute();
      ids.push(id);
    }
    return ids;
  } finally {
    await handle.close();
  }
}

for (const engine of engines) {
  describe(`several server processes on one ${engine} database`, { timeout: 180_000 }, () => {
    let database: TestDatabase | undefined;
    let token = '';
    let userId = 0;
    let url = '';

    before(async () => {
      database = await createTestDatabase(engine);
      url = database.url;
      ({ token, userId } = await prepareSite(url));
    });
    after(async () => {
      await database?.drop();
    });

    describe('separate processes', () => {
      let servers: ServerProcess[] = [];
      let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
      let dueIds: number[] = [];

      before(async () => {
        receiver = await startReceiver();
        const handle = await openTestHandle(url);
        try {
          const user = await findUserById(handle.db, userId);
          assert.ok(user);
          await createWebhook(
            handle,
            loadConfig({ DATABASE_URL: url, COMMUNIQUE_SECRET: TEST_SECRET }),
            { user, audit: { userId: user.id, label: 'test', ip: null } },
            {
              url: receiver.url,
              description: 'Test receiver',
              events: ['statement.published'],
              active: true,
            },
          );
        } finally {
          await handle.close();
        }
        dueIds = await insertDueStatements(url, SCHEDULED_COUNT);
        // Started together, all three run the scheduler at once over the same due statements.
        servers = await Promise.all([1, 2, 3].map(() => startServer({ DATABASE_URL: url })));
      });
      after(async () => {
        await Promise.all(servers.map((server) => server.stop()));
        receiver?.server.close();
      });

      test('scheduled statements are published exactly once: one audit entry, one event, one delivery', async () => {
        assert.ok(receiver);
        const published = () =>
          receiver?.events.filter((event) => event.event === 'statement.published') ?? [];
        for (let waited = 0; waited < 15_000 && published().length < SCHEDULED_COUNT; waited += 50)
          await sleep(50);
        // Room for a duplicate to arrive, if there were one.
        await sleep(1500);
        assert.deepEqual(
          published()
            .map((event) => event.statementId)
            .sort((x, y) => x - y),
          dueIds,
        );
        const handle = await openTestHandle(url);
        try {
          const audit = await handle.db
            .selectFrom('audit_log')
            .select('subject_id')
            .where('action', '=', 'statement.published')
            .where('subject_id', 'in', dueIds)
            .orderBy('subject_id')
            .execute();
          assert.deepEqual(
            audit.map((row) => row.subject_id),
            dueIds,
          );
          const events = await handle.db
            .selectFrom('webhook_events')
            .select('statement_id')
            .where('event', '=', 'statement.published')
            .where('statement_id', 'in', dueIds)
            .orderBy('statement_id')
            .execute();
          assert.deepEqual(
            events.map((row) => row.statement_id),
            dueIds,
          );
          const statuses = await handle.db
            .selectFrom('statements')
            .select('status')
            .where('id', 'in', dueIds)
            .execute();
          assert.ok(statuses.every((row) => row.status === 'published'));
        } finally {
          await handle.close();
        }
        const schedulerLines = servers
          .map((server) => /Published (\d+) scheduled statement/.exec(server.output())?.[1])
          .reduce((sum, count) => sum + Number(count ?? 0), 0);
        assert.equal(
          schedulerLines,
          SCHEDULED_COUNT,
          'the processes shared the work, none repeated it',
        );
      });

      test('a publish, an edit and an unpublish through one process show through another within a second', async (t) => {
        const [writer, reader] = servers;
        assert.ok(writer && reader);
        // Warm every cache, then prove the reader answers from it: a change made behind its back stays unseen.
        const etags: string[] = [];
        for (const server of servers) {
          for (let round = 0; round < 2; round += 1) {
            const response = await fetch(`${server.origin}/`);
            await response.text();
            etags.push(response.headers.get('etag') ?? 'none');
          }
        }
        assert.equal(new Set(etags).size, 1, 'the same page everywhere');
        const probe = await openTestHandle(url);
        try {
          await probe.db
            .updateTable('statements')
            .set({ title: 'Changed without telling anyone' })
            .where('id', '=', dueIds[0] ?? 0)
            .execute();
        } finally {
          await probe.close();
        }
        await sleep(engine === 'sqlite' ? 1200 : 300);
        const cached = await fetch(`${reader.origin}/`);
        assert.equal(cached.headers.get('etag'), etags[0], 'a cache hit');
        assert.doesNotMatch(await cached.text(), /Changed without telling anyone/);

        // SQLite polls every second (so 1 s plus slack); PostgreSQL notifies, and polls only every 5 s.
        const limitMs = engine === 'sqlite' ? 2000 : 1000;
        const title = `Cross-process statement ${engine}`;
        const created = await adminApi(writer.origin, token, 'POST', '/api/v1/admin/statements', {
          title,
          body: 'Seen by every process.',
          language: 'en',
          organisations: ['liffeyside-tenants'],
        });
        assert.equal(created.status, 201);
        const id = Number(created.json.id);
        const publish = await adminApi(
          writer.origin,
          token,
          'POST',
          `/api/v1/admin/statements/${id}/transitions`,
          { transition: 'publish', version: created.json.version },
        );
        assert.equal(publish.status, 200);
        const published = await visibleAfter(
          reader.origin,
          '/',
          (html) => html.includes(title),
          limitMs,
        );

        const edited = await adminApi(
          writer.origin,
          token,
          'PUT',
          `/api/v1/admin/statements/${id}`,
          {
            title: `${title}, edited`,
            body: 'Seen by every process.',
            language: 'en',
            organisations: ['liffeyside-tenants'],
            version: publish.json.version,
          },
        );
        assert.equal(edited.status, 200);
        const edit = await visibleAfter(
          reader.origin,
          '/',
          (html) => html.includes(`${title}, edited`),
          limitMs,
        );

        const unpublished = await adminApi(
          writer.origin,
          token,
          'POST',
          `/api/v1/admin/statements/${id}/transitions`,
          { transition: 'unpublish', version: edited.json.version },
        );
        assert.equal(unpublished.status, 200);
        const unpublish = await visibleAfter(
          reader.origin,
          '/',
          (html) => !html.includes(title),
          limitMs,
        );
        t.diagnostic(
          `${engine}: seen by the other process after publish ${Math.round(published)} ms, edit ${Math.round(edit)} ms, unpublish ${Math.round(unpublish)} ms`,
        );
      });

      if (engine === 'postgres') {
        test('a dropped notification connection reconnects, and notifications flow again', async (t) => {
          const [writer, reader] = servers;
          assert.ok(writer && reader);
          const admin = new pg.Client({ connectionString: url });
          await admin.connect();
          try {
            const killed = await admin.query(
              'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and datname = current_database()',
              [LISTENER_APPLICATION_NAME],
            );
            assert.equal(killed.rowCount, servers.length, 'one listening connection per process');
          } finally {
            await admin.end();
          }
          for (const server of servers) {
            await server.waitFor(/No PostgreSQL notifications for content changes/, 5000);
            await server.waitFor(/Listening for content changes on PostgreSQL again/, 5000);
          }
          const title = 'Published after the reconnection';
          const created = await adminApi(writer.origin, token, 'POST', '/api/v1/admin/statements', {
            title,
            body: 'Heard by every process.',
            language: 'en',
            organisations: ['liffeyside-tenants'],
          });
          const publish = await adminApi(
            writer.origin,
            token,
            'POST',
            `/api/v1/admin/statements/${created.json.id}/transitions`,
            { transition: 'publish', version: created.json.version },
          );
          assert.equal(publish.status, 200);
          // Polling is back to every 5 s, so seeing it within a second means a notification arrived.
          const elapsed = await visibleAfter(
            reader.origin,
            '/',
            (html) => html.includes(title),
            1000,
          );
          t.diagnostic(
            `postgres: seen ${Math.round(elapsed)} ms after the publish, after a reconnection`,
          );
        });
      }
    });

    describe('one process with --workers 2', () => {
      let primary: ServerProcess | undefined;
      after(async () => {
        await primary?.stop();
      });

      test('serves, replaces a killed worker, keeps caches in step and stops cleanly on SIGTERM', async (t) => {
        primary = await startServer({ DATABASE_URL: url }, ['--workers', '2']);
        const server = primary;
        const pids = (/with 2 workers \(pids (\d+), (\d+)\)/.exec(server.output()) ?? [])
          .slice(1)
          .map(Number);
        assert.equal(pids.length, 2, server.output());
        assert.doesNotMatch(server.output(), /Database schema updated/, 'already migrated');

        // Both workers must drop their caches: several requests in a row land on both of them.
        const title = `Published through a cluster on ${engine}`;
        for (let round = 0; round < 4; round += 1) await freshGet(server.origin, '/');
        const created = await adminApi(server.origin, token, 'POST', '/api/v1/admin/statements', {
          title,
          body: 'Every worker shows it.',
          language: 'en',
          organisations: ['liffeyside-tenants'],
        });
        const publish = await adminApi(
          server.origin,
          token,
          'POST',
          `/api/v1/admin/statements/${created.json.id}/transitions`,
          { transition: 'publish', version: created.json.version },
        );
        assert.equal(publish.status, 200);
        let streak = 0;
        const started = performance.now();
        while (streak < 4) {
          const { body } = await freshGet(server.origin, '/');
          streak = body.includes(title) ? streak + 1 : 0;
          assert.ok(
            performance.now() - started < 1500,
            'every worker shows the publish within a second',
          );
        }

        const [victim, survivor] = pids;
        const killedAt = performance.now();
        process.kill(victim ?? 0, 'SIGKILL');
        // A connection the primary hands to a worker at the instant it dies is lost (node:cluster);
        // once the primary has noticed, every new connection goes to the survivor.
        await server.waitFor(
          new RegExp(`Worker ${victim} was killed by SIGKILL; starting another`),
        );
        const statuses: number[] = [];
        for (let round = 0; round < 10; round += 1) {
          statuses.push((await freshGet(server.origin, '/')).status);
          await sleep(50);
        }
        assert.ok(
          statuses.every((status) => status === 200),
          `served throughout: ${statuses}`,
        );
        const replaced = await server.waitFor(
          new RegExp(`Worker (\\d+) is serving in place of worker ${victim}`),
          15_000,
        );
        const recoveredMs = performance.now() - killedAt;
        const replacement = Number(replaced[1]);
        assert.notEqual(replacement, survivor);
        process.kill(replacement, 0);
        t.diagnostic(
          `${engine}: a killed worker was replaced and serving again after ${Math.round(recoveredMs)} ms`,
        );

        server.child.kill('SIGTERM');
        const { code } = await server.exit();
        assert.equal(code, 0, server.output());
        for (const pid of [survivor, replacement])
          assert.match(server.output(), new RegExp(`Worker ${pid}: Stopped`));
        assert.match(
          server.output(),
          /SIGTERM received: stopping 2 workers after their open requests/,
        );
        assert.match(server.output(), /INFO: Stopped\n/);
        for (const pid of [survivor, replacement])
          assert.throws(() => process.kill(pid ?? 0, 0), /ESRCH/, 'no worker is left behind');
      });
    });
  });
}
