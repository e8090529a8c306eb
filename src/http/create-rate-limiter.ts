import type { DatabaseHandle } from '../db/connect.ts';
import { DatabaseRateLimiter } from './database-rate-limiter.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { RedisRateLimiter } from './redis-rate-limiter.ts';

/** Redis when configured, else the database: either way every process shares the counts. */
export async function createRateLimiter(
  handle: DatabaseHandle,
  redisUrl: string | null,
): Promise<RateLimiter> {
  if (redisUrl === null) return new DatabaseRateLimiter(handle.db);
  const limiter = new RedisRateLimiter(redisUrl);
  try {
    await limiter.connect();
  } catch (error) {
    await limiter.close();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot connect to Redis at REDIS_URL: ${reason}`);
  }
  return limiter;
}
