import { createHash, randomBytes } from 'node:crypto';
import { type Queryable, toDate } from '../db/database.ts';

export interface SessionPolicy {
  /** A session unused this long ends. */
  idleMs: number;
  /** A session ends this long after sign-in, however busy. */
  absoluteMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = {
  idleMs: 2 * 60 * 60 * 1000,
  absoluteMs: 12 * 60 * 60 * 1000,
};

// Writing last_seen_at on every request would turn every page view into a write.
const TOUCH_INTERVAL_MS = 60 * 1000;

export interface ActiveSession {
  id: string;
  userId: number;
  secondFactorPending: boolean;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Starts a session and returns the token for the cookie; only its hash is stored. */
export async function createSession(
  db: Queryable,
  input: {
    userId: number;
    secondFactorPending: boolean;
    ip: string | null;
    userAgent: string | null;
  },
  policy: SessionPolicy,
  now = new Date(),
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db
    .insertInto('sessions')
    .values({
      id: hashToken(token),
      user_id: input.userId,
      second_factor_pending: input.secondFactorPending ? 1 : 0,
      created_at: now,
      last_seen_at: now,
      expires_at: new Date(now.getTime() + policy.absoluteMs),
      ip: input.ip,
      user_agent: input.userAgent?.slice(0, 300) ?? null,
    })
    .execute();
  return token;
}

/** The live session for a cookie token, or undefined when it is unknown, idle too long or expired. */
export async function findActiveSession(
  db: Queryable,
  token: string,
  policy: SessionPolicy,
  now = new Date(),
): Promise<ActiveSession | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const id = hashToken(token);
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id',
      'sessions.user_id',
      'sessions.second_factor_pending',
      'sessions.last_seen_at',
      'sessions.expires_at',
      'users.disabled_at',
    ])
    .where('sessions.id', '=', id)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const lastSeen = toDate(row.last_seen_at).getTime();
  const expired =
    toDate(row.expires_at).getTime() <= now.getTime() || lastSeen + policy.idleMs <= now.getTime();
  if (expired || row.disabled_at !== null) {
    await db.deleteFrom('sessions').where('id', '=', id).execute();
    return undefined;
  }
  if (now.getTime() - lastSeen > TOUCH_INTERVAL_MS) {
    await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
  }
  return { id, userId: row.user_id, secondFactorPending: row.second_factor_pending === 1 };
}

export async function deleteSession(db: Queryable, sessionId: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
}

export async function deleteSessionByToken(db: Queryable, token: string): Promise<void> {
  await deleteSession(db, hashToken(token));
}

/** Ends every session of a user, e.g. when the account is disabled or its password changes. */
export async function deleteUserSessions(
  db: Queryable,
  userId: number,
  exceptSessionId?: string,
): Promise<void> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (exceptSessionId !== undefined) query = query.where('id', '!=', exceptSessionId);
  await query.execute();
}

export async function deleteExpiredSessions(
  db: Queryable,
  policy: SessionPolicy,
  now = new Date(),
): Promise<void> {
  await db
    .deleteFrom('sessions')
    .where((eb) =>
      eb.or([
        eb('expires_at', '<=', now),
        eb('last_seen_at', '<=', new Date(now.getTime() - policy.idleMs)),
      ]),
    )
    .execute();
}

/** A session by its stored id (not the cookie token), including whether it still waits for a second factor. */
export async function findSessionById(
  db: Queryable,
  sessionId: string,
): Promise<(ActiveSession & { createdAt: Date }) | undefined> {
  const row = await db
    .selectFrom('sessions')
    .select(['id', 'user_id', 'second_factor_pending', 'created_at'])
    .where('id', '=', sessionId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    id: row.id,
    userId: row.user_id,
    secondFactorPending: row.second_factor_pending === 1,
    createdAt: toDate(row.created_at),
  };
}
