import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const CSRF_COOKIE = 'communique_csrf';
export const CSRF_FIELD = '_csrf';

export function newCsrfSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** A form token bound to the browser's secret cookie and to its session, so it dies at sign-in and sign-out. */
export function csrfToken(secret: string, sessionId: string | null): string {
  return createHmac('sha256', secret)
    .update(`communique-csrf:${sessionId ?? 'signed-out'}`)
    .digest('base64url');
}

export function csrfTokenMatches(
  secret: string | undefined,
  sessionId: string | null,
  token: unknown,
): boolean {
  if (secret === undefined || typeof token !== 'string' || token.length === 0) return false;
  const expected = Buffer.from(csrfToken(secret, sessionId));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
