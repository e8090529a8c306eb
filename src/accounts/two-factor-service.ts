import { timingSafeEqual } from 'node:crypto';
import { type AuditActor, recordAudit } from '../audit/audit-log.ts';
import type { Config } from '../config.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import type { Queryable } from '../db/database.ts';
import {
  ACCOUNT_RULE,
  ADDRESS_RULE,
  clearFailures,
  lockedUntil,
  recordFailure,
} from './login-throttle.ts';
import { verifyPassword } from './password.ts';
import {
  missingSecretMessage,
  SecretBox,
  SecretKeyUnavailableError,
  secretKeyMaterial,
} from './secret-box.ts';
import { createSession, deleteUserSessions, type SessionPolicy } from './session-store.ts';
import {
  hashRecoveryCode,
  isTotpSecret,
  looksLikeRecoveryCode,
  looksLikeTotpCode,
  matchTotpCode,
  newRecoveryCodes,
  newTotpSecret,
  otpauthUri,
} from './totp.ts';
import { normaliseEmail, type User } from './user.ts';
import { findPasswordHash } from './user-repository.ts';

/** A rejected two-factor change, with the form field it concerns. */
export class TwoFactorError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'TwoFactorError';
    this.field = field;
  }
}

type KeyConfig = Pick<Config, 'secret' | 'database'>;

// Separate HKDF purposes: a stored seed can never be replayed as a setup token, nor the reverse.
const SEED_PURPOSE = 'totp-seed-v1';
const PENDING_PURPOSE = 'totp-pending-setup-v1';
/** How long the setup page may stay open before the scanned secret must be started again. */
export const PENDING_SETUP_MS = 15 * 60 * 1000;

/**
 * The last time step accepted per user, to refuse a code seen twice (replay). Kept in this
 * process's memory because the users table has no column for it: a restart forgets it, which
 * reopens at most the ±1-step window (90 seconds) of an already-used code. One map per
 * database, so two sites in one process (as in tests) never share user ids.
 */
const lastAcceptedSteps = new WeakMap<DatabaseHandle, Map<number, number>>();

function acceptedSteps(handle: DatabaseHandle): Map<number, number> {
  let steps = lastAcceptedSteps.get(handle);
  if (steps === undefined) {
    steps = new Map();
    lastAcceptedSteps.set(handle, steps);
  }
  return steps;
}

function seedContext(userId: number): string {
  return `users.totp_secret:${userId}`;
}

/** Why two-factor sign-in cannot be set up on this server, or null when it can; creates nothing. */
export function twoFactorUnavailableReason(config: KeyConfig): string | null {
  return missingSecretMessage(config);
}

function box(config: KeyConfig, purpose: string): SecretBox {
  return new SecretBox(secretKeyMaterial(config), purpose);
}

async function checkPassword(db: Queryable, userId: number, password: string): Promise<void> {
  const hash = await findPasswordHash(db, userId);
  if (hash === undefined || !(await verifyPassword(hash, password)))
    throw new TwoFactorError('password', 'The password is not right.');
}

export interface TwoFactorSetup {
  /** The base32 seed, to type into an authenticator app by hand. */
  secret: string;
  /** The otpauth:// address with the same seed. */
  uri: string;
  /** The seed sealed for the hidden form field: only this server can read it back. */
  pending: string;
}

/**
 * Makes a new seed for the setup page. Nothing is stored yet: the seed travels encrypted and
 * authenticated in the form, bound to this user and this session, and expires.
 */
export async function startTwoFactorSetup(
  handle: DatabaseHandle,
  config: KeyConfig,
  input: { user: User; sessionId: string; password: string; issuer: string },
  now = new Date(),
): Promise<TwoFactorSetup> {
  const { user, sessionId, issuer } = input;
  if (user.twoFactorEnabled)
    throw new TwoFactorError('two_factor', 'Two-factor sign-in is already on for your account.');
  // Asking for the password stops a stolen session from locking the owner out with its own seed.
  await checkPassword(handle.db, user.id, input.password);
  const secret = newTotpSecret();
  const pending = box(config, PENDING_PURPOSE).seal(
    JSON.stringify({ secret, expires: now.getTime() + PENDING_SETUP_MS }),
    `${user.id}:${sessionId}`,
  );
  return { secret, uri: otpauthUri(secret, issuer, user.email), pending };
}

/** The seed inside a setup token, or null when it is forged, expired, or from another user or session. */
export function readPendingSetup(
  config: KeyConfig,
  pending: string,
  userId: number,
  sessionId: string,
  now = new Date(),
): string | null {
  if (pending.length > 1000) return null;
  const text = box(config, PENDING_PURPOSE).open(pending, `${userId}:${sessionId}`);
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as { secret?: unknown; expires?: unknown };
    if (typeof value.secret !== 'string' || !isTotpSecret(value.secret)) return null;
    if (typeof value.expires !== 'number' || value.expires <= now.getTime()) return null;
    return value.secret;
  } catch {
    return null;
  }
}

/**
 * Turns two-factor sign-in on once the user proves their app makes the right codes. Stores the
 * seed encrypted and the recovery codes hashed, ends the user's other sessions, and returns
 * the recovery codes in clear for the one time they are shown.
 */
export async function confirmTwoFactor(
  handle: DatabaseHandle,
  config: KeyConfig,
  input: { user: User; sessionId: string; pending: string; code: string },
  actor: AuditActor,
  now = new Date(),
): Promise<string[]> {
  const secret = readPendingSetup(config, input.pending, input.user.id, input.sessionId, now);
  if (secret === null)
    throw new TwoFactorError(
      'pending',
      'This setup page has expired or was changed. Start the setup again.',
    );
  if (!looksLikeTotpCode(input.code))
    throw new TwoFactorError('code', 'Enter the 6-digit code your authenticator app shows.');
  const match = matchTotpCode(secret, input.code, now);
  if (match === null || !('step' in match))
    throw new TwoFactorError(
      'code',
      'That code does not match. Check that the clock on your phone is right and enter the current code.',
    );
  const codes = newRecoveryCodes();
  const sealed = box(config, SEED_PURPOSE).seal(secret, seedContext(input.user.id));
  await handle.db.transaction().execute(async (trx) => {
    // Only a user without a seed gets one: two setup tabs cannot overwrite each other.
    const result = await trx
      .updateTable('users')
      .set({
        totp_secret: sealed,
        recovery_codes: JSON.stringify(codes.map(hashRecoveryCode)),
        updated_at: now,
      })
      .where('id', '=', input.user.id)
      .where('totp_secret', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1)
      throw new TwoFactorError('two_factor', 'Two-factor sign-in is already on for your account.');
    // Whoever else holds a session got it without the second factor: end those sessions.
    await deleteUserSessions(trx, input.user.id, input.sessionId);
    await recordAudit(
      trx,
      actor,
      'user.two_factor_enabled',
      { type: 'user', id: input.user.id },
      {},
      now,
    );
  });
  // The code just typed must not also open a sign-in.
  acceptedSteps(handle).set(input.user.id, match.step);
  return codes;
}

/** Turns two-factor sign-in off; the current password is required so a stolen session cannot. */
export async function disableTwoFactor(
  handle: DatabaseHandle,
  input: { userId: number; password: string },
  actor: AuditActor,
  now = new Date(),
): Promise<void> {
  await checkPassword(handle.db, input.userId, input.password);
  await handle.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('users')
      .set({ totp_secret: null, recovery_codes: null, updated_at: now })
      .where('id', '=', input.userId)
      .execute();
    await recordAudit(
      trx,
      actor,
      'user.two_factor_disabled',
      { type: 'user', id: input.userId },
      {},
      now,
    );
  });
  acceptedSteps(handle).delete(input.userId);
}

/** Replaces the recovery codes with ten new ones (password required) and returns them in clear. */
export async function replaceRecoveryCodes(
  handle: DatabaseHandle,
  input: { userId: number; password: string },
  actor: AuditActor,
  now = new Date(),
): Promise<string[]> {
  await checkPassword(handle.db, input.userId, input.password);
  const codes = newRecoveryCodes();
  await handle.db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('users')
      .set({ recovery_codes: JSON.stringify(codes.map(hashRecoveryCode)), updated_at: now })
      .where('id', '=', input.userId)
      .where('totp_secret', 'is not', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1)
      throw new TwoFactorError('two_factor', 'Two-factor sign-in is not on for your account.');
    await recordAudit(
      trx,
      actor,
      'user.recovery_codes_replaced',
      { type: 'user', id: input.userId },
      {},
      now,
    );
  });
  return codes;
}

function parseHashes(json: string | null): string[] {
  if (json === null) return [];
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((item) => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

/** How many unused recovery codes a user has left. */
export async function countRecoveryCodes(db: Queryable, userId: number): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select('recovery_codes')
    .where('id', '=', userId)
    .executeTakeFirst();
  return parseHashes(row?.recovery_codes ?? null).length;
}

export type SecondFactorResult =
  | { outcome: 'signed-in'; token: string; method: 'totp' | 'recovery_code' }
  | { outcome: 'rejected'; reason: 'wrong' | 'replayed' | 'key-unavailable' }
  | { outcome: 'locked'; until: Date };

// Thrown inside a transaction to roll it back when a parallel request won the race.
class LostRace extends Error {}

function constantTimeIncludes(list: string[], wanted: string): number {
  const target = Buffer.from(wanted);
  let found = -1;
  list.forEach((item, index) => {
    const candidate = Buffer.from(item);
    if (candidate.length === target.length && timingSafeEqual(candidate, target)) found = index;
  });
  return found;
}

/**
 * The second step of sign-in: checks a TOTP or recovery code for the user of a pending session
 * and, when right, replaces that session with a new, complete one (a fresh id). Wrong codes count
 * toward the same per-account and per-address throttles as wrong passwords.
 */
export async function completeSecondFactor(
  handle: DatabaseHandle,
  config: KeyConfig,
  input: {
    pendingSessionId: string;
    userId: number;
    code: string;
    ip: string;
    userAgent: string | null;
  },
  policy: SessionPolicy,
  now = new Date(),
): Promise<SecondFactorResult> {
  const db = handle.db;
  const user = await db
    .selectFrom('users')
    .select(['email', 'totp_secret', 'recovery_codes'])
    .where('id', '=', input.userId)
    .executeTakeFirst();
  if (user === undefined) return { outcome: 'rejected', reason: 'wrong' };
  const email = normaliseEmail(user.email);
  const accountKey = `account:${email}`;
  const addressKey = `address:${input.ip}`;
  const actor: AuditActor = { userId: input.userId, label: email, ip: input.ip };
  const locks = [
    await lockedUntil(db, accountKey, now),
    await lockedUntil(db, addressKey, now),
  ].filter((until): until is Date => until !== null);
  if (locks.length > 0) {
    await recordAudit(db, actor, 'login.blocked', { type: 'user', id: input.userId }, {}, now);
    return { outcome: 'locked', until: new Date(Math.max(...locks.map((lock) => lock.getTime()))) };
  }

  let method: 'totp' | 'recovery_code' | null = null;
  let reason: 'wrong' | 'replayed' | 'key-unavailable' = 'wrong';
  let remainingCodes: string[] | null = null;
  if (looksLikeTotpCode(input.code) && user.totp_secret !== null) {
    let secret: string | null = null;
    try {
      secret = box(config, SEED_PURPOSE).open(user.totp_secret, seedContext(input.userId));
    } catch (error) {
      if (!(error instanceof SecretKeyUnavailableError)) throw error;
    }
    if (secret === null) {
      reason = 'key-unavailable';
    } else {
      // Check and mark the step with no await in between, so two parallel requests cannot both pass.
      const match = matchTotpCode(
        secret,
        input.code,
        now,
        acceptedSteps(handle).get(input.userId) ?? null,
      );
      if (match !== null && 'step' in match) {
        acceptedSteps(handle).set(input.userId, match.step);
        method = 'totp';
      } else if (match !== null) {
        reason = 'replayed';
      }
    }
  } else if (looksLikeRecoveryCode(input.code)) {
    const hashes = parseHashes(user.recovery_codes);
    const index = constantTimeIncludes(hashes, hashRecoveryCode(input.code));
    if (index >= 0) {
      remainingCodes = hashes.filter((_, position) => position !== index);
      method = 'recovery_code';
    }
  }

  if (method === null) {
    await db.transaction().execute(async (trx) => {
      await recordFailure(trx, accountKey, ACCOUNT_RULE, now);
      await recordFailure(trx, addressKey, ADDRESS_RULE, now);
      await recordAudit(
        trx,
        actor,
        'login.failed',
        { type: 'user', id: input.userId },
        {
          reason:
            reason === 'replayed'
              ? 'two-factor code used twice'
              : reason === 'key-unavailable'
                ? 'two-factor key unreadable'
                : 'wrong two-factor code',
        },
        now,
      );
    });
    return { outcome: 'rejected', reason };
  }

  const secondFactor = method;
  const storedCodes = user.recovery_codes ?? '';
  const token = await db
    .transaction()
    .execute(async (trx) => {
      if (remainingCodes !== null) {
        // Compare-and-set: of two requests spending the same code at once, only one wins.
        const spent = await trx
          .updateTable('users')
          .set({ recovery_codes: JSON.stringify(remainingCodes), updated_at: now })
          .where('id', '=', input.userId)
          .where('recovery_codes', '=', storedCodes)
          .executeTakeFirst();
        if (Number(spent.numUpdatedRows) !== 1) throw new LostRace();
      }
      // Only the request that removes the pending session may make the new one.
      const removed = await trx
        .deleteFrom('sessions')
        .where('id', '=', input.pendingSessionId)
        .where('second_factor_pending', '=', 1)
        .executeTakeFirst();
      if (Number(removed.numDeletedRows) !== 1) throw new LostRace();
      const fresh = await createSession(
        trx,
        {
          userId: input.userId,
          secondFactorPending: false,
          ip: input.ip,
          userAgent: input.userAgent,
        },
        policy,
        now,
      );
      await clearFailures(trx, accountKey);
      await recordAudit(
        trx,
        actor,
        'login.succeeded',
        { type: 'user', id: input.userId },
        secondFactor === 'recovery_code'
          ? { second_factor: secondFactor, recovery_codes_left: remainingCodes?.length ?? 0 }
          : { second_factor: secondFactor },
        now,
      );
      return fresh;
    })
    .catch((error: unknown) => {
      if (error instanceof LostRace) return null;
      throw error;
    });
  if (token === null) return { outcome: 'rejected', reason: 'replayed' };
  return { outcome: 'signed-in', token, method: secondFactor };
}
