import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { type App, buildApp } from '../app.ts';
import { type Config, loadConfig } from '../config.ts';
import { type ConnectRetry, type DatabaseHandle, openDatabase } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { withStartupLock } from '../db/startup-lock.ts';
import { seedDemoContent } from '../demo/seed-demo-content.ts';
import { createLogger } from '../http/logger.ts';
import { runCluster, SHUTDOWN_GRACE_MS } from './cluster.ts';

export interface ServeOptions {
  /** Processes serving together on one port; 1 serves in this process. */
  workers: number;
}

function connectRetry(config: Config, logger: Logger): ConnectRetry {
  return {
    timeoutMs: config.databaseConnectTimeoutSeconds * 1000,
    onRetry: (message) => logger.warn(message),
  };
}

/** Migrations and demo content: once per start, never in two processes at the same time. */
async function prepareDatabase(config: Config, logger: Logger, handle: DatabaseHandle) {
  await withStartupLock(handle, config.database, async () => {
    const applied = await migrateToLatest(handle);
    if (applied.length > 0) logger.info(`Database schema updated: ${applied.join(', ')}`);
    if (!config.demoContent) return;
    const added = await seedDemoContent(handle);
    if (added > 0)
      logger.info(
        `Empty site: loaded the demo network (${added} statements). Set COMMUNIQUE_DEMO=0 to start empty.`,
      );
  });
}

/** Starts the web server and keeps running until SIGINT or SIGTERM. */
export async function serveCommand(options: ServeOptions = { workers: 1 }): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  if (cluster.isWorker) {
    await serveInThisProcess(config, logger, { worker: true });
    return;
  }
  const handle = await openDatabase(config.database, connectRetry(config, logger));
  try {
    await prepareDatabase(config, logger, handle);
  } catch (error) {
    await handle.close();
    throw error;
  }
  if (options.workers > 1) {
    await handle.close();
    runCluster({ workers: options.workers, logger, description: handle.description });
    return;
  }
  await serveInThisProcess(config, logger, { worker: false, handle });
}

async function serveInThisProcess(
  config: Config,
  logger: Logger,
  options: { worker: boolean; handle?: DatabaseHandle },
): Promise<void> {
  const handle =
    options.handle ?? (await openDatabase(config.database, connectRetry(config, logger)));
  let stopRequested: string | undefined;
  let stop: ((reason: string) => void) | undefined;
  let app: App | undefined;
  try {
    app = await buildApp(config, handle, logger);
    // Before listening: a cluster hears "listening" at once, and may send SIGTERM straight after.
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => {
        const reason = `${signal} received`;
        if (stop === undefined) stopRequested ??= reason;
        else stop(reason);
      });
    const address = await app.server.listen({ port: config.port, host: config.host });
    // In a cluster the primary announces the address once for all workers.
    if (!options.worker) logger.info(`Communiqué is serving ${address} from ${handle.description}`);
  } catch (error) {
    await app?.close().catch(() => {});
    await handle.close().catch(() => {});
    // A worker's channel to the primary would otherwise keep it alive after the error is reported.
    if (options.worker) setImmediate(() => process.exit(1));
    throw error;
  }
  const running = app;
  const who = options.worker ? `Worker ${process.pid}: ` : '';
  const shutDown = async (reason: string) => {
    logger.info(`${who}${reason}: finishing open requests, then stopping`);
    setTimeout(() => {
      logger.error(
        `${who}Open requests did not finish within ${SHUTDOWN_GRACE_MS / 1000} s; stopping anyway`,
      );
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    await running.close();
    await handle.close();
    logger.info(`${who}Stopped`);
    // Nothing should be left open now; a forgotten handle must not keep the process from exiting.
    setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
    // A worker's channel to its primary would keep it alive, so it exits once done.
    if (options.worker) process.exit(process.exitCode ?? 0);
  };
  let stopping = false;
  stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    shutDown(reason).catch((error: unknown) => {
      logger.error({ err: error }, 'Shutdown failed');
      process.exit(1);
    });
  };
  if (stopRequested !== undefined) stop(stopRequested);
}
