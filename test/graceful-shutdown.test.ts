import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { createTestDatabase, testEngines } from './helpers/engines.ts';
import { openTestHandle, prepareSite, startServer } from './helpers/server-process.ts';

const engines = await testEngines();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

for (const engine of engines) {
  test(`SIGTERM lets a slow upload to the Admin API finish, takes no new connections, and exits 0 (${engine})`, {
    timeout: 120_000,
  }, async (t) => {
    const database = await createTestDatabase(engine);
    const { token } = await prepareSite(database.url);
    const server = await startServer({ DATABASE_URL: database.url });
    const handle = await openTestHandle(database.url);
    try {
      const title = `Uploaded slowly on ${engine}`;
      const body = Buffer.from(
        JSON.stringify({
          title,
          body: 'A statement sent a little at a time. '.repeat(500),
          language: 'en',
          organisations: ['liffeyside-tenants'],
        }),
      );
      const { hostname, port } = new URL(server.origin);
      const upload = request({
        host: hostname,
        port,
        method: 'POST',
        path: '/api/v1/admin/statements',
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': body.length,
        },
      });
      const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
        upload.on('response', (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        });
        upload.on('error', reject);
      });
      upload.write(body.subarray(0, 1000));

      // The server is inside the request once its token check has recorded the use.
      const tokenUsed = async () =>
        (
          await handle.db
            .selectFrom('access_tokens')
            .select('last_used_at')
            .executeTakeFirstOrThrow()
        ).last_used_at !== null;
      for (let waited = 0; !(await tokenUsed()); waited += 25) {
        assert.ok(waited < 10_000, 'the server started on the request');
        await sleep(25);
      }

      const signalledAt = performance.now();
      server.child.kill('SIGTERM');
      await server.waitFor(/SIGTERM received: finishing open requests, then stopping/, 5000);
      let refused = false;
      for (let waited = 0; !refused && waited < 5000; waited += 50) {
        refused = await fetch(`${server.origin}/`, { signal: AbortSignal.timeout(2000) }).then(
          () => false,
          () => true,
        );
        if (!refused) await sleep(50);
      }
      assert.ok(refused, 'new connections are refused while the upload is still open');
      await sleep(500);
      assert.equal(server.child.exitCode, null, 'still running for the open request');

      upload.end(body.subarray(1000));
      const answer = await answered;
      assert.equal(answer.status, 201, answer.text);
      assert.equal(JSON.parse(answer.text).title, title);
      const { code, signal } = await server.exit();
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, server.output());
      t.diagnostic(
        `${engine}: stopped ${Math.round(performance.now() - signalledAt)} ms after SIGTERM, the upload answered first`,
      );
      assert.match(server.output(), /INFO: Stopped\n/);
      assert.doesNotMatch(server.output(), /\n\s+at /);
      const saved = await handle.db
        .selectFrom('statements')
        .select('title')
        .where('title', '=', title)
        .execute();
      assert.equal(saved.length, 1);
    } finally {
      await handle.close();
      await server.stop();
      await database.drop();
    }
  });
}
