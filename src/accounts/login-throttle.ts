import { type Queryable, toDate } from '../db/database.ts';

export interface ThrottleRule {
  maxFailures: number;
  windowMs: number;
  lockMs: number;
}

export const ACCOUNT_RULE: ThrottleRule = {
  maxFailures: 5,
  windowMs: 15 * 60 * 1000,
  lockMs: 15 * 60 * 1000,
};
export const ADDRESS_RULE: ThrottleRule = {
  maxFailures: 20,
  windowMs: 15 * 60 * 1000,
  lockMs: 15 * 60 * 1000,
};

/** When a key may try again, or null when it may try now. */
export async function lockedUntil(
  db: Queryable,
  key: string,
  now = new Date(),
): Promise<Date | null> {
  const row = await db
    .selectFrom('login_throttle')
    .select('locked_until')
    .where('key', '=', key)
    .executeTakeFirst();
  if (row?.locked_until === null || row?.locked_until === undefined) return null;
  const until = toDate(row.locked_until);
  return until.getTime() > now.getTime() ? until : null;
}

/** Counts a failed sign-in against a key (an email or an address), locking it past the limit. */
export async function recordFailure(
  db: Queryable,
  key: string,
  rule: ThrottleRule,
  now = new Date(),
): Promise<void> {
  await db
    .insertInto('login_throttle')
    .values({ key, failures: 0, window_started_at: now, locked_until: null })
    .onConflict((conflict) => conflict.column('key').doNothing())
    .execute();
  const row = await db
    .selectFrom('login_throttle')
    .select(['failures', 'window_started_at'])
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
  const windowOpen = toDate(row.window_started_at).getTime() + rule.windowMs > now.getTime();
  const failures = windowOpen ? row.failures + 1 : 1;
  const values = {
    failures,
    window_started_at: windowOpen ? row.window_started_at : now,
    locked_until: failures >= rule.maxFailures ? new Date(now.getTime() + rule.lockMs) : null,
  };
  await db.updateTable('login_throttle').set(values).where('key', '=', key).execute();
}

export async function clearFailures(db: Queryable, key: string): Promise<void> {
  await db.deleteFrom('login_throttle').where('key', '=', key).execute();
}
