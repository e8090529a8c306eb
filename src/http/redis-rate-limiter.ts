import { Redis } from 'ioredis';
import { type RateLimiter, type RateLimitResult, resultOf } from './rate-limiter.ts';

const KEY_PREFIX = 'communique:rate:';

/** Rate limits in Redis: INCR and PEXPIRE in one round trip, shared by every process and host. */
export class RedisRateLimiter implements RateLimiter {
  readonly store = 'redis' as const;
  readonly #redis: Redis;

  constructor(url: string) {
    this.#redis = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
    });
  }

  async connect(): Promise<void> {
    await this.#redis.connect();
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const redisKey = `${KEY_PREFIX}${key}`;
    const replies = await this.#redis
      .multi()
      .incr(redisKey)
      .pexpire(redisKey, windowMs, 'NX')
      .pttl(redisKey)
      .exec();
    const hits = Number(replies?.[0]?.[1] ?? 1);
    const ttl = Number(replies?.[2]?.[1] ?? windowMs);
    return resultOf(hits, limit, ttl < 0 ? windowMs : ttl);
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => {});
  }
}
