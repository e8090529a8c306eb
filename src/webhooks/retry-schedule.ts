const GROWTH = 4;
const LONGEST_WAIT_MS = 24 * 60 * 60 * 1000;

/**
 * The wait after the given failed attempt (1 for the first): base, ×4, ×16 … capped at a day,
 * so with the default 30 s base: 30 s, 2 min, 8 min, 32 min, about 2 h, 8.5 h, then daily.
 */
export function retryDelayMs(failedAttempt: number, baseMs: number): number {
  const exponent = Math.max(0, failedAttempt - 1);
  return Math.min(baseMs * GROWTH ** exponent, LONGEST_WAIT_MS);
}
