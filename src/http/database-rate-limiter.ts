import { sql } from 'kysely';
import type { Queryable } from '../db/database.ts';
import { type RateLimiter, type RateLimitResult, resultOf } from './rate-limiter.ts';

/** Rate limits in the database: one atomic upsert per request, so every process sees the same counts. */
export class DatabaseRateLimiter implements RateLimiter {
  readonly store = 'database' as const;
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async hit(
    key: string,
    limit: number,
    windowMs: number,
    now = Date.now(),
  ): Promise<RateLimitResult> {
    const expired = now - windowMs;
    const row = await this.#db
      .insertInto('rate_limit_windows')
      .values({ key, window_started_ms: now, hits: 1 })
      .onConflict((conflict) =>
        conflict.column('key').doUpdateSet({
          hits: sql`case when rate_limit_windows.window_started_ms <= ${expired} then 1 else rate_limit_windows.hits + 1 end`,
          window_started_ms: sql`case when rate_limit_windows.window_started_ms <= ${expired} then ${now} else rate_limit_windows.window_started_ms end`,
        }),
      )
      .returning(['hits', 'window_started_ms'])
      .executeTakeFirstOrThrow();
    return resultOf(Number(row.hits), limit, Number(row.window_started_ms) + windowMs - now);
  }

  async close(): Promise<void> {}
}
