import { type Config, loadConfig } from '../config.ts';
import { type DatabaseHandle, openDatabase } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';

/** Reads the configuration, opens the database and brings its schema up to date. */
export async function openMigratedDatabase(): Promise<{
  config: Config;
  handle: DatabaseHandle;
  applied: string[];
}> {
  const config = loadConfig();
  const handle = await openDatabase(config.database);
  try {
    const applied = await migrateToLatest(handle);
    return { config, handle, applied };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
