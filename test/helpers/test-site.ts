import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type App, buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { type DatabaseHandle, openDatabase } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { seedDemoContent } from '../../src/demo/seed-demo-content.ts';
import { createLogger } from '../../src/http/logger.ts';
import { createTestDatabase, type Engine, type TestDatabase } from './engines.ts';

export interface TestSite {
  engine: Engine;
  database: TestDatabase;
  handle: DatabaseHandle;
  app: App;
  /** http://127.0.0.1:PORT of the listening server. */
  origin: string;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  html(path: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts the real server on a real socket over a fresh database, with the demo network unless told not to. */
export async function startTestSite(
  engine: Engine,
  options: { demo?: boolean; env?: Record<string, string> } = {},
): Promise<TestSite> {
  const database = await createTestDatabase(engine);
  const mediaDir = await mkdtemp(path.join(tmpdir(), 'communique-media-'));
  const config = loadConfig({
    DATABASE_URL: database.url,
    PORT: '0',
    LOG_LEVEL: 'warn',
    MEDIA_DIR: mediaDir,
    ...options.env,
  });
  const handle = await openDatabase(config.database);
  await migrateToLatest(handle);
  if (options.demo !== false) await seedDemoContent(handle);
  const app = await buildApp(config, handle, createLogger({ logLevel: 'warn', logFormat: 'json' }));
  const origin = await app.server.listen({ port: 0, host: '127.0.0.1' });
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${origin}${path}`, { headers, redirect: 'manual' });
  return {
    engine,
    database,
    handle,
    app,
    origin,
    get,
    async html(path: string) {
      const response = await get(path);
      if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
      return response.text();
    },
    async close() {
      await app.close();
      await handle.close();
      await database.drop();
      await rm(mediaDir, { recursive: true, force: true });
    },
  };
}
