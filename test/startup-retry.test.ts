import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { parseWorkerCount, restartDelayMs } from '../src/cli/cluster.ts';
import { retryDelays } from '../src/db/connect.ts';
import { runCli } from './helpers/cli.ts';
import { createTestDatabase, testEngines } from './helpers/engines.ts';
import { freePort, spawnServer } from './helpers/server-process.ts';

const engines = await testEngines();

/** A TCP proxy to the test PostgreSQL, started only when the test says so. */
async function startProxy(port: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = connect(5432, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => resolve());
      }),
  };
}

describe('starting up', { timeout: 120_000 }, () => {
  test('connection retries wait 1, 2, 4, then 5 s, together no longer than the timeout', () => {
    assert.deepEqual(retryDelays(30_000), [1000, 2000, 4000, 5000, 5000, 5000, 5000, 3000]);
    assert.deepEqual(retryDelays(2000), [1000, 1000]);
    assert.deepEqual(retryDelays(0), []);
  });

  test('a dying worker is replaced at once, then after 1, 2, 4 … s while replacements die young', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 7, 8].map(restartDelayMs),
      [0, 0, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
    );
  });

  test('--workers takes 1 to 64 and says so otherwise', async () => {
    assert.equal(parseWorkerCount('4'), 4);
    for (const bad of ['0', '65', '2.5']) {
      const result = await runCli(['serve', '--workers', bad]);
      assert.equal(result.code, 2, bad);
      assert.match(
        result.stderr,
        new RegExp(`argument '${bad}' is invalid\\. It must be a whole number from 1 to 64\\.`),
      );
    }
    const help = await runCli(['serve', '--help']);
    assert.match(help.stdout, /--workers <n>/);
    assert.match(help.stdout, /LISTEN\/NOTIFY/);
  });

  test('an unreachable PostgreSQL is retried with a clear message, then given up with one line and exit 1', async () => {
    const port = await freePort();
    const started = Date.now();
    const result = await runCli(['serve'], {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/nowhere`,
      DATABASE_CONNECT_TIMEOUT_SECONDS: '2',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'pretty',
    });
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      new RegExp(
        `WARN: PostgreSQL at 127\\.0\\.0\\.1:${port}/nowhere is not reachable \\(ECONNREFUSED\\); retrying in 1 s \\(attempt 2 of 3\\)`,
      ),
    );
    assert.match(result.stdout, /retrying in 1 s \(attempt 3 of 3\)/);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0] ?? '',
      new RegExp(
        `^Cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}/nowhere: .*ECONNREFUSED.* \\(3 attempts over 2 s\\)\\. Check that the server is running`,
      ),
    );
    // The retries' own bound is the "over 2 s" above; this wall bound also covers starting Node on a loaded machine.
    assert.ok(Date.now() - started < 60_000, 'gives up instead of retrying forever');
  });

  test('a cluster whose workers cannot start stops with exit 1 instead of restarting them forever', async () => {
    const database = await createTestDatabase('sqlite');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const result = await runCli(['serve', '--workers', '2'], {
        DATABASE_URL: database.url,
        PORT: String(port),
        COMMUNIQUE_DEMO: '0',
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'pretty',
      });
      assert.equal(result.code, 1);
      assert.match(result.stdout, /ERROR: Worker \d+ exited with code 1 before it was serving/);
      assert.match(result.stdout, /A worker failed to start: stopping/);
      assert.match(result.stderr, /EADDRINUSE/);
    } finally {
      taken.close();
      await database.drop();
    }
  });

  if (engines.includes('postgres')) {
    test('a PostgreSQL that comes up a moment late is waited for', async () => {
      const database = await createTestDatabase('postgres');
      const port = await freePort();
      const url = new URL(database.url);
      url.port = String(port);
      const server = spawnServer({ DATABASE_URL: url.href });
      let proxy: { close(): Promise<void> } | undefined;
      try {
        await server.waitFor(
          /is not reachable \(ECONNREFUSED\); retrying in 1 s \(attempt 2 of 9\)/,
        );
        proxy = await startProxy(port);
        const origin = await server.serving;
        assert.match(server.output(), /loaded the demo network/);
        assert.equal((await fetch(`${origin}/`)).status, 200);
      } finally {
        await server.stop();
        await proxy?.close();
        await database.drop();
      }
    });
  }
});
