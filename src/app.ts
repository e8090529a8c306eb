import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerAdmin } from './admin/admin-plugin.ts';
import { AdminViews } from './admin/admin-views.ts';
import { registerApi } from './api/api-plugin.ts';
import type { Config } from './config.ts';
import type { DatabaseHandle } from './db/connect.ts';
import { registerFeedRoutes } from './feeds/index.ts';
import { createRateLimiter } from './http/create-rate-limiter.ts';
import { createServer, type RouteRecord } from './http/create-server.ts';
import { registerPublicMedia } from './media/public-media-routes.ts';
import { CdnPurger } from './ops/cdn-purge.ts';
import { registerHealthRoutes } from './ops/health-routes.ts';
import { AppMetrics, registerMetrics } from './ops/metrics.ts';
import { publicCacheControl } from './ops/surrogate-keys.ts';
import { cachedPageFastPath } from './site/cached-page-fast-path.ts';
import { ContentNotifications } from './site/content-notifications.ts';
import { ContentWatcher } from './site/content-watcher.ts';
import { LanguagePrefixes } from './site/language-prefixes.ts';
import { PageCache } from './site/page-cache.ts';
import { registerRobotsRoute } from './site/robots.ts';
import { registerSearchRoutes } from './site/search-routes.ts';
import { registerSiteRoutes } from './site/site-routes.ts';
import { SiteStateStore } from './site/site-state.ts';
import { registerSitemapRoutes } from './site/sitemap-routes.ts';
import { SummaryFragments } from './site/summary-fragments.ts';
import { Theme } from './site/theme.ts';
import { PublishingScheduler } from './statements/scheduler.ts';
import { WebhookDeliveryWorker } from './webhooks/index.ts';

export interface App {
  server: FastifyInstance;
  /** Every route the program serves, for documentation and the authorization matrix. */
  routes: RouteRecord[];
  cache: PageCache;
  metrics: AppMetrics;
  /** Tells the CDN what changed; undefined without CDN_PURGE_URL. */
  purger: CdnPurger | undefined;
  /** Checks for content changes now instead of waiting for the next poll. */
  refreshContent(): Promise<boolean>;
  /** Publishes due scheduled statements now instead of at the next tick. */
  runScheduler(): Promise<void>;
  /** Sends due webhook deliveries now and waits for their answers. */
  runWebhooks(): Promise<void>;
  close(): Promise<void>;
}

const CONTENT_POLL_MS = 1000;
// With LISTEN/NOTIFY on PostgreSQL, polling is only a safety net.
const NOTIFIED_CONTENT_POLL_MS = 5000;
const SCHEDULER_INTERVAL_MS = 15_000;

/** Builds the whole program around an open database: no logic here, only wiring. */
export async function buildApp(
  config: Config,
  handle: DatabaseHandle,
  logger: Logger,
): Promise<App> {
  const theme = new Theme(config.themeDir);
  const cache = new PageCache(config.pageCacheEntries);
  const prefixes = new LanguagePrefixes();
  const state = new SiteStateStore(handle, theme, (languages, defaultLanguage) =>
    prefixes.update(languages, defaultLanguage),
  );
  // Language prefixes must be known before the first request is routed.
  await state.get();
  const webhooks = new WebhookDeliveryWorker({
    handle,
    logger,
    keys: config,
    baseUrl: config.baseUrl,
    delivery: config.webhooks,
  });
  const watcher = new ContentWatcher(handle, () => {
    cache.clear();
    state.forget();
    // A change committed elsewhere (a CLI import, another process) may have queued webhook events.
    webhooks.wake();
  });
  await watcher.start(CONTENT_POLL_MS);
  const notifications =
    config.database.engine === 'postgres'
      ? new ContentNotifications({
          url: config.database.url,
          logger,
          watcher,
          pollMs: CONTENT_POLL_MS,
          listeningPollMs: NOTIFIED_CONTENT_POLL_MS,
        })
      : undefined;
  await notifications?.start();
  const purger =
    config.cdn.purgeUrl === null
      ? undefined
      : new CdnPurger({
          handle,
          logger,
          url: config.cdn.purgeUrl,
          token: config.cdn.purgeToken,
        });
  await purger?.start();
  const contentChanged = async () => {
    // Seeing the change wakes the webhook worker (the watcher's callback above), here or in any process.
    await watcher.check();
    purger?.changed();
  };
  let shuttingDown = false;
  const metrics = new AppMetrics({ handle, cache, logger });
  const cacheControl = publicCacheControl(config.cdn);
  const { server, routes } = await createServer({
    logger,
    assetFolders: theme.assetFolders,
    trustProxy: config.trustProxy,
    publicCacheControl: cacheControl,
    rewriteUrl: (request) => prefixes.rewrite(request),
    answerBeforeRouting: cachedPageFastPath({
      cache,
      prefixes,
      logger,
      trustProxy: config.trustProxy,
      publicCacheControl: cacheControl,
      observe: (method, route, statusCode, seconds) =>
        metrics.observe(method, route, statusCode, seconds),
      closing: () => shuttingDown,
    }),
  });
  registerMetrics(server, metrics, config.metricsToken);
  registerHealthRoutes(server, { handle, shuttingDown: () => shuttingDown });
  await registerSiteRoutes(server, {
    handle,
    theme,
    state,
    cache,
    summaries: new SummaryFragments(theme),
    baseUrl: config.baseUrl,
  });
  await registerFeedRoutes(server, { handle, theme, state, cache, baseUrl: config.baseUrl });
  await registerSearchRoutes(server, { handle, theme, state, baseUrl: config.baseUrl });
  await registerSitemapRoutes(server, { handle, state, cache, baseUrl: config.baseUrl });
  registerRobotsRoute(server, { state, cache, baseUrl: config.baseUrl });
  await registerPublicMedia(server, config);
  const rateLimiter = await createRateLimiter(handle, config.redisUrl);
  await registerApi(server, {
    handle,
    state,
    baseUrl: config.baseUrl,
    rateLimitPerMinute: config.apiRateLimitPerMinute,
    rateLimiter,
    contentChanged,
  });
  await registerAdmin(server, {
    config,
    handle,
    views: new AdminViews(),
    sessionPolicy: {
      idleMs: config.sessionIdleMinutes * 60_000,
      absoluteMs: config.sessionMaxHours * 3_600_000,
    },
    secureCookies: config.baseUrl.startsWith('https:'),
    contentChanged,
    webhooksQueued: () => webhooks.wake(),
  });
  const scheduler = new PublishingScheduler(handle, logger, contentChanged);
  await scheduler.start(SCHEDULER_INTERVAL_MS);
  webhooks.start();
  return {
    server,
    routes,
    cache,
    metrics,
    purger,
    refreshContent: () => watcher.check(),
    runScheduler: () => scheduler.runOnce(),
    runWebhooks: () => webhooks.runOnce(),
    async close() {
      shuttingDown = true;
      watcher.stop();
      await notifications?.stop();
      await scheduler.stop();
      await webhooks.stop();
      await server.close();
      // After the last request, so its change is read; purges still in flight are abandoned.
      await purger?.stop();
      await rateLimiter.close();
    },
  };
}
