import { PostgresAdapter, sql } from 'kysely';
import type { Queryable } from '../db/database.ts';
import { DEFAULT_SETTINGS, SETTING_KEYS, type SiteSettings } from './site-settings.ts';

/** Reads every setting; missing keys take their defaults. */
export async function readSettings(db: Queryable): Promise<SiteSettings> {
  const rows = await db.selectFrom('settings').select(['key', 'value']).execute();
  const stored = new Map(rows.map((row) => [row.key, row.value]));
  const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const key of SETTING_KEYS) {
    const raw = stored.get(key);
    if (raw !== undefined) settings[key] = JSON.parse(raw);
  }
  return settings as unknown as SiteSettings;
}

/** Writes the given settings; returns true when any value changed. */
export async function writeSettings(
  db: Queryable,
  changes: Partial<SiteSettings>,
): Promise<boolean> {
  const existing = new Map(
    (await db.selectFrom('settings').select(['key', 'value']).execute()).map((row) => [
      row.key,
      row.value,
    ]),
  );
  let changed = false;
  for (const key of SETTING_KEYS) {
    if (!(key in changes)) continue;
    const value = JSON.stringify(changes[key]);
    const previous = existing.get(key);
    if (previous === value) continue;
    changed = true;
    if (previous === undefined) {
      await db.insertInto('settings').values({ key, value }).execute();
    } else {
      await db.updateTable('settings').set({ value }).where('key', '=', key).execute();
    }
  }
  return changed;
}

const CONTENT_VERSION_KEY = 'content_version';

/** A counter bumped on every content change, so other processes can notice it. */
export async function readContentVersion(db: Queryable): Promise<number> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', CONTENT_VERSION_KEY)
    .executeTakeFirst();
  return row ? Number(JSON.parse(row.value)) : 0;
}

/** The PostgreSQL channel on which every committed content change is announced. */
export const CONTENT_CHANNEL = 'communique_content';

/** Adds one to the content version atomically (so concurrent writers never share a number) and announces it. */
export async function bumpContentVersion(db: Queryable): Promise<number> {
  const row = await db
    .insertInto('settings')
    .values({ key: CONTENT_VERSION_KEY, value: '1' })
    .onConflict((conflict) =>
      conflict
        .column('key')
        .doUpdateSet({ value: sql<string>`cast(cast(settings.value as integer) + 1 as text)` }),
    )
    .returning('value')
    .executeTakeFirstOrThrow();
  const next = Number(row.value);
  // NOTIFY is delivered at commit, so listeners never hear of a change they cannot read yet.
  if (db.getExecutor().adapter instanceof PostgresAdapter)
    await sql`select pg_notify(${CONTENT_CHANNEL}, ${String(next)})`.execute(db);
  return next;
}
