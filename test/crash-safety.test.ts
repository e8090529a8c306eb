import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { parseDatabaseUrl } from '../src/config.ts';
import { createTestDatabase, testEngines } from './helpers/engines.ts';
import { adminApi, openTestHandle, prepareSite, startServer } from './helpers/server-process.ts';

const engines = await testEngines();
const TOTAL = 150;
const CONCURRENCY = 12;
const KILL_AFTER = 30;

for (const engine of engines) {
  test(`a server killed in a burst of Admin API writes keeps every answered write and nothing half-written (${engine})`, {
    timeout: 120_000,
  }, async (t) => {
    const database = await createTestDatabase(engine);
    const env = { DATABASE_URL: database.url, COMMUNIQUE_DEMO: '0' };
    const { token } = await prepareSite(database.url, { demo: false });
    let server = await startServer(env);
    try {
      const organisation = await adminApi(
        server.origin,
        token,
        'POST',
        '/api/v1/admin/organisations',
        {
          name: 'Harbour Workers Circle',
          country: 'PT',
          language: 'pt',
          description: 'Dock workers in Lisbon.',
        },
      );
      assert.equal(organisation.status, 201, JSON.stringify(organisation.json));
      const slug = String(organisation.json.slug);

      const acknowledged: Array<{ id: number; title: string; body: string }> = [];
      const answers: number[] = [];
      let refused = 0;
      let sent = 0;
      const writer = server;
      const writeUntilKilled = async () => {
        while (sent < TOTAL) {
          const index = sent;
          sent += 1;
          const title = `Burst statement ${index}`;
          const body = `Paragraph ${index}. ${'We call for fair rents. '.repeat(40)}`;
          try {
            const answer = await adminApi(
              writer.origin,
              token,
              'POST',
              '/api/v1/admin/statements',
              {
                title,
                body,
                language: 'en',
                organisations: [slug],
              },
            );
            answers.push(answer.status);
            if (answer.status === 201) {
              acknowledged.push({ id: Number(answer.json.id), title, body });
              if (acknowledged.length === KILL_AFTER) writer.child.kill('SIGKILL');
            }
          } catch {
            refused += 1;
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, writeUntilKilled));
      const { signal } = await writer.exit();
      assert.equal(signal, 'SIGKILL');
      assert.ok(
        answers.every((status) => status === 201),
        `every answer was 201: ${answers}`,
      );
      assert.ok(acknowledged.length >= KILL_AFTER);
      assert.ok(refused > 0, 'the kill cut the burst short');
      t.diagnostic(
        `${engine}: ${acknowledged.length} writes answered before the kill, ${refused} cut off`,
      );

      server = await startServer(env);
      const handle = await openTestHandle(database.url);
      try {
        for (const write of acknowledged) {
          const row = await handle.db
            .selectFrom('statements')
            .select(['title', 'body_md', 'status'])
            .where('id', '=', write.id)
            .executeTakeFirst();
          assert.deepEqual(
            { ...row },
            { title: write.title, body_md: write.body, status: 'draft' },
          );
          const signatories = await handle.db
            .selectFrom('statement_signatories')
            .innerJoin('organisations', 'organisations.id', 'statement_signatories.organisation_id')
            .select('organisations.slug')
            .where('statement_id', '=', write.id)
            .execute();
          assert.deepEqual(
            signatories.map((signatory) => signatory.slug),
            [slug],
          );
          const revisions = await handle.db
            .selectFrom('statement_revisions')
            .select(['number', 'title', 'body_md'])
            .where('statement_id', '=', write.id)
            .execute();
          assert.deepEqual(
            revisions.map((revision) => ({ ...revision })),
            [{ number: 1, title: write.title, body_md: write.body }],
          );
          const audit = await handle.db
            .selectFrom('audit_log')
            .select('action')
            .where('subject_type', '=', 'statement')
            .where('subject_id', '=', write.id)
            .execute();
          assert.deepEqual(
            audit.map((entry) => entry.action),
            ['statement.created'],
          );
        }
        // Writes cut off mid-way either committed whole or left no trace.
        const statements = await handle.db.selectFrom('statements').select('id').execute();
        const count = async (table: 'statement_signatories' | 'statement_revisions') =>
          (await handle.db.selectFrom(table).select('statement_id').distinct().execute()).length;
        const created = await handle.db
          .selectFrom('audit_log')
          .select('subject_id')
          .where('action', '=', 'statement.created')
          .execute();
        assert.equal(await count('statement_signatories'), statements.length);
        assert.equal(await count('statement_revisions'), statements.length);
        assert.equal(created.length, statements.length);
        t.diagnostic(`${engine}: ${statements.length} statements after the restart, all complete`);
      } finally {
        await handle.close();
      }
      if (engine === 'sqlite') {
        const config = parseDatabaseUrl(database.url);
        assert.equal(config.engine, 'sqlite');
        const file = config.engine === 'sqlite' ? config.file : '';
        const check = new DatabaseSync(file, { readOnly: true });
        try {
          assert.equal(check.prepare('pragma integrity_check').get()?.integrity_check, 'ok');
          assert.equal(check.prepare('pragma journal_mode').get()?.journal_mode, 'wal');
        } finally {
          check.close();
        }
      }
      // The restarted server reads the answered writes back and takes new ones.
      for (const write of acknowledged.slice(0, 5)) {
        const read = await adminApi(
          server.origin,
          token,
          'GET',
          `/api/v1/admin/statements/${write.id}`,
        );
        assert.equal(read.status, 200);
        assert.equal(read.json.title, write.title);
      }
      const after = await adminApi(server.origin, token, 'POST', '/api/v1/admin/statements', {
        title: 'Written after the restart',
        body: 'Still here.',
        language: 'en',
        organisations: [slug],
      });
      assert.equal(after.status, 201);
    } finally {
      await server.stop();
      await database.drop();
    }
  });
}
