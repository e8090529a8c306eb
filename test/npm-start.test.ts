import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from './helpers/cli.ts';

test('npm start serves the demo site from a fresh SQLite file, and stops cleanly on SIGTERM', async () => {
  const folder = await mkdtemp(path.join(tmpdir(), 'communique-start-'));
  const databaseFile = path.join(folder, 'nested', 'communique.db');
  const child = spawn('npm', ['start', '--silent'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: `sqlite:${databaseFile}`,
      PORT: '0',
      LOG_FORMAT: 'pretty',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no address within 30 s:\n${output}`)),
        30_000,
      );
      child.stdout.on('data', () => {
        const match = /Communiqué is serving (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    assert.match(output, /loaded the demo network \(34 statements\)/);
    assert.ok((await stat(databaseFile)).isFile(), 'the database file and its folder are created');
    const response = await fetch(`${address}/`);
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(html, /<h1 id="site-title">The Wider Table<\/h1>/);
    assert.match(html, /Full statement/);
    for (let waited = 0; waited < 2000 && !/GET \/ 200/.test(output); waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.match(output, /GET \/ 200 [\d.]+ ms/, 'a readable request log line');
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    await exited;
    for (let waited = 0; waited < 5000 && !/Stopped/.test(output); waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.match(output, /SIGTERM received: finishing open requests, then stopping/);
    assert.match(output, /INFO: Stopped/);
    assert.doesNotMatch(output, /\n\s+at /);
  } finally {
    if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    await rm(folder, { recursive: true, force: true });
  }
});
