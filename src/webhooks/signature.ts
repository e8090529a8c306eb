import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Communique-Signature';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, in the style of Stripe's header:
 * the timestamp is signed too, so a receiver can refuse an old request replayed later.
 */
export function signatureHeader(secret: string, rawBody: string, at: Date): string {
  const timestamp = Math.floor(at.getTime() / 1000);
  const digest = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  return `t=${timestamp},v1=${digest}`;
}
