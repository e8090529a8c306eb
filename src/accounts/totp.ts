import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/** RFC 6238 defaults, the only ones every authenticator app understands. */
export const TOTP_PERIOD_SECONDS = 30;
const TOTP_DIGITS = 6;
const TOTP_ALGORITHM = 'SHA1';
// One step either side absorbs clock drift between the phone and the server.
const TOTP_WINDOW = 1;

export const RECOVERY_CODE_COUNT = 10;
// Crockford's base32 alphabet: no I, L, O or U to misread; 16 characters carry 80 bits.
const RECOVERY_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const RECOVERY_LENGTH = 16;

/** A fresh 160-bit TOTP seed in base32, as RFC 4226 recommends. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** Accepts a base32 seed as typed or stored: upper case, no spaces or padding. */
export function isTotpSecret(value: string): boolean {
  return /^[A-Z2-7]{16,128}$/.test(value);
}

/** The otpauth:// address an authenticator app reads to add the account. */
export function otpauthUri(secretBase32: string, issuer: string, accountName: string): string {
  return new TOTP({
    issuer,
    label: accountName,
    secret: Secret.fromBase32(secretBase32),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  }).toString();
}

/** The time step (30-second counter) an instant falls in. */
export function timeStepAt(now: Date): number {
  return Math.floor(now.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

/** Whether text looks like an authenticator code: six digits, spaces allowed. */
export function looksLikeTotpCode(text: string): boolean {
  return /^\d{6}$/.test(text.replace(/\s+/g, ''));
}

/**
 * The time step a code belongs to, within ±1 step of now and after `lastUsedStep`, or null.
 * Returning the step lets the caller refuse a code that was already used (replay).
 */
export function matchTotpCode(
  secretBase32: string,
  code: string,
  now: Date,
  lastUsedStep: number | null = null,
): { step: number } | { replayed: true } | null {
  const token = Buffer.from(code.replace(/\s+/g, ''));
  if (!/^\d{6}$/.test(token.toString())) return null;
  const secret = Secret.fromBase32(secretBase32);
  const current = timeStepAt(now);
  let replayed = false;
  for (let delta = -TOTP_WINDOW; delta <= TOTP_WINDOW; delta += 1) {
    const step = current + delta;
    const expected = Buffer.from(
      TOTP.generate({
        secret,
        algorithm: TOTP_ALGORITHM,
        digits: TOTP_DIGITS,
        period: TOTP_PERIOD_SECONDS,
        timestamp: step * TOTP_PERIOD_SECONDS * 1000,
      }),
    );
    if (expected.length === token.length && timingSafeEqual(expected, token)) {
      if (lastUsedStep !== null && step <= lastUsedStep) replayed = true;
      else return { step };
    }
  }
  return replayed ? { replayed: true } : null;
}

/** Ten fresh one-time recovery codes, shown to the user once, as xxxx-xxxx-xxxx-xxxx. */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    let code = '';
    for (let index = 0; index < RECOVERY_LENGTH; index += 1)
      code += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
    return code.match(/.{4}/g)?.join('-') ?? code;
  });
}

/** A recovery code as typed, reduced to its characters: case, spaces and dashes do not matter. */
export function normaliseRecoveryCode(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\s-]+/g, '')
    .replace(/[il]/g, '1')
    .replace(/o/g, '0');
}

export function looksLikeRecoveryCode(text: string): boolean {
  const normalised = normaliseRecoveryCode(text);
  return normalised.length === RECOVERY_LENGTH && /^[0-9a-z]+$/.test(normalised);
}

/** Only this hash is stored; 80 random bits make a plain SHA-256 safe against guessing. */
export function hashRecoveryCode(text: string): string {
  return createHash('sha256')
    .update(`communique-recovery:${normaliseRecoveryCode(text)}`)
    .digest('hex');
}
