import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerAdmin } from './admin/admin-plugin.ts';
import { AdminViews } from './admin/admin-views.ts';
import type { Config } from './config.ts';
import type { DatabaseHandle } from './db/connect.ts';
import { createServer } from './http/create-server.ts';
import { ContentWatcher } from './site/content-watcher.ts';
import { PageCache } from './site/page-cache.ts';
import { registerSiteRoutes } from './site/site-routes.ts';
import { SiteStateStore } from './site/site-state.ts';
import { Theme } from './site/theme.ts';

export interface App {
  server: FastifyInstance;
  cache: PageCache;
  /** Checks for content changes now instead of waiting for the next poll. */
  refreshContent(): Promise<boolean>;
  close(): Promise<void>;
}

const CONTENT_POLL_MS = 1000;

/** Builds the whole program around an open database: no logic here, only wiring. */
export async function buildApp(
  config: Config,
  handle: DatabaseHandle,
  logger: Logger,
): Promise<App> {
  const theme = new Theme(config.themeDir);
  const cache = new PageCache(config.pageCacheEntries);
  const state = new SiteStateStore(handle, theme);
  const watcher = new ContentWatcher(handle, () => {
    cache.clear();
    state.forget();
  });
  await watcher.start(CONTENT_POLL_MS);
  const server = await createServer({
    logger,
    assetFolders: theme.assetFolders,
    trustProxy: config.trustProxy,
  });
  await registerSiteRoutes(server, { handle, theme, state, cache, baseUrl: config.baseUrl });
  await registerAdmin(server, {
    handle,
    views: new AdminViews(),
    sessionPolicy: {
      idleMs: config.sessionIdleMinutes * 60_000,
      absoluteMs: config.sessionMaxHours * 3_600_000,
    },
    secureCookies: config.baseUrl.startsWith('https:'),
    contentChanged: async () => {
      await watcher.check();
    },
  });
  return {
    server,
    cache,
    refreshContent: () => watcher.check(),
    async close() {
      watcher.stop();
      await server.close();
    },
  };
}
