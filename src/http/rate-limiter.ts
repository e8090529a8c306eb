/** What one counted request learns about its key's limit. */
export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

/** Counts requests per key in fixed windows, shared by every process that uses the same store. */
export interface RateLimiter {
  readonly store: 'database' | 'redis';
  hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult>;
  close(): Promise<void>;
}

export function resultOf(hits: number, limit: number, resetMs: number): RateLimitResult {
  return {
    allowed: hits <= limit,
    limit,
    remaining: Math.max(0, limit - hits),
    resetMs: Math.max(0, resetMs),
  };
}
