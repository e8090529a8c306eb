import { fileURLToPath } from 'node:url';
import type { DatabaseHandle } from '../db/connect.ts';
import { importContent, readContentFolder } from '../import-export/index.ts';

export const DEMO_CONTENT_DIR = fileURLToPath(new URL('../../demo/content/', import.meta.url));

/** True when the site has no organisations, statements or pages yet. */
export async function isEmptySite(handle: DatabaseHandle): Promise<boolean> {
  const db = handle.db;
  const [statement, organisation, page] = await Promise.all([
    db.selectFrom('statements').select('id').limit(1).executeTakeFirst(),
    db.selectFrom('organisations').select('id').limit(1).executeTakeFirst(),
    db.selectFrom('pages').select('id').limit(1).executeTakeFirst(),
  ]);
  return statement === undefined && organisation === undefined && page === undefined;
}

/** Loads the fictional demo network into an empty site; returns how many statements it added. */
export async function seedDemoContent(handle: DatabaseHandle): Promise<number> {
  if (!(await isEmptySite(handle))) return 0;
  const bundle = await readContentFolder(DEMO_CONTENT_DIR);
  const report = await importContent(handle, bundle);
  return report.statements.created;
}
