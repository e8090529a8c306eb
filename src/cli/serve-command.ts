import { buildApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { seedDemoContent } from '../demo/seed-demo-content.ts';
import { createLogger } from '../http/logger.ts';

/** Starts the web server and keeps running until SIGINT or SIGTERM. */
export async function serveCommand(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  const handle = await openDatabase(config.database);
  const applied = await migrateToLatest(handle);
  if (applied.length > 0) logger.info(`Database schema updated: ${applied.join(', ')}`);
  if (config.demoContent) {
    const added = await seedDemoContent(handle);
    if (added > 0)
      logger.info(
        `Empty site: loaded the demo network (${added} statements). Set COMMUNIQUE_DEMO=0 to start empty.`,
      );
  }
  const app = await buildApp(config, handle, logger);
  const address = await app.server.listen({ port: config.port, host: config.host });
  logger.info(`Communiqué is serving ${address} from ${handle.description}`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received: finishing open requests, then stopping`);
    await app.close();
    await handle.close();
    logger.info('Stopped');
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stop(signal).catch((error: unknown) => {
        logger.error({ err: error }, 'Shutdown failed');
        process.exitCode = 1;
      });
    });
  }
}
