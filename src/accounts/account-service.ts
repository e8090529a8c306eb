import { type AuditActor, type AuditEntry, recordAudit } from '../audit/audit-log.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import { type Queryable, toDate } from '../db/database.ts';
import {
  ACCOUNT_RULE,
  ADDRESS_RULE,
  clearFailures,
  lockedUntil,
  recordFailure,
} from './login-throttle.ts';
import { hashPassword, passwordProblem, verifyAgainstDecoy, verifyPassword } from './password.ts';
import { deleteUserSessions } from './session-store.ts';
import { isPlausibleEmail, isRole, normaliseEmail, type Role } from './user.ts';
import {
  findPasswordHash,
  findUserById,
  findUserCredentials,
  insertUser,
  replaceUserOrganisations,
  updateUserFields,
} from './user-repository.ts';

/** A rejected account change, with the field it concerns. */
export class AccountError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'AccountError';
    this.field = field;
  }
}

export interface NewUser {
  email: string;
  name: string;
  role: string;
  password: string;
  organisationSlugs: string[];
}

/** Creates an account; contributors must belong to at least one organisation. */
export async function createUser(
  handle: DatabaseHandle,
  input: NewUser,
  actor: AuditActor,
  now = new Date(),
): Promise<number> {
  const email = normaliseEmail(input.email);
  if (!isPlausibleEmail(email))
    throw new AccountError('email', `"${input.email}" is not an email address`);
  const name = input.name.trim();
  if (name === '' || name.length > 200)
    throw new AccountError('name', 'must be between 1 and 200 characters');
  if (!isRole(input.role))
    throw new AccountError('role', `must be admin, editor or contributor, got "${input.role}"`);
  const role: Role = input.role;
  const problem = passwordProblem(input.password, email);
  if (problem !== null) throw new AccountError('password', `The password ${problem}`);
  if (role === 'contributor' && input.organisationSlugs.length === 0) {
    throw new AccountError(
      'organisation',
      'a contributor needs at least one organisation (--organisation SLUG)',
    );
  }
  const passwordHash = await hashPassword(input.password);
  return handle.db.transaction().execute(async (trx) => {
    if ((await findUserCredentials(trx, email)) !== undefined) {
      throw new AccountError('email', `an account with the email ${email} already exists`);
    }
    const organisationIds: number[] = [];
    for (const slug of input.organisationSlugs) {
      const row = await trx
        .selectFrom('organisations')
        .select('id')
        .where('slug', '=', slug)
        .executeTakeFirst();
      if (row === undefined)
        throw new AccountError('organisation', `there is no organisation "${slug}"`);
      organisationIds.push(row.id);
    }
    const id = await insertUser(trx, { email, name, role, passwordHash, organisationIds }, now);
    await recordAudit(trx, actor, 'user.created', { type: 'user', id }, { email, role }, now);
    return id;
  });
}

export type SignInResult =
  | { outcome: 'signed-in'; userId: number; needsSecondFactor: boolean }
  | { outcome: 'rejected' }
  | { outcome: 'locked'; until: Date };

/** Checks an email and password with per-account and per-address throttling; never says which was wrong. */
export async function signIn(
  handle: DatabaseHandle,
  input: { email: string; password: string; ip: string },
  now = new Date(),
): Promise<SignInResult> {
  const db = handle.db;
  const email = normaliseEmail(input.email).slice(0, 320);
  const accountKey = `account:${email}`;
  const addressKey = `address:${input.ip}`;
  const locks = [
    await lockedUntil(db, accountKey, now),
    await lockedUntil(db, addressKey, now),
  ].filter((until): until is Date => until !== null);
  if (locks.length > 0) {
    const until = new Date(Math.max(...locks.map((lock) => lock.getTime())));
    await recordAudit(
      db,
      { userId: null, label: email, ip: input.ip },
      'login.blocked',
      null,
      {},
      now,
    );
    return { outcome: 'locked', until };
  }
  const credentials = await findUserCredentials(db, email);
  const valid =
    credentials === undefined
      ? await verifyAgainstDecoy(input.password)
      : (await verifyPassword(credentials.passwordHash, input.password)) && !credentials.disabled;
  if (!valid || credentials === undefined) {
    await db.transaction().execute(async (trx) => {
      await recordFailure(trx, accountKey, ACCOUNT_RULE, now);
      await recordFailure(trx, addressKey, ADDRESS_RULE, now);
      await recordAudit(
        trx,
        { userId: credentials?.id ?? null, label: email, ip: input.ip },
        'login.failed',
        credentials === undefined ? null : { type: 'user', id: credentials.id },
        {
          reason:
            credentials === undefined
              ? 'unknown email'
              : credentials.disabled
                ? 'disabled'
                : 'wrong password',
        },
        now,
      );
    });
    return { outcome: 'rejected' };
  }
  // With two-factor on, the count is cleared only after the code: otherwise re-entering the
  // password between guesses would reset the lock and let codes be guessed without end.
  if (credentials.totpSecret === null) await clearFailures(db, accountKey);
  return {
    outcome: 'signed-in',
    userId: credentials.id,
    needsSecondFactor: credentials.totpSecret !== null,
  };
}

/** Changes one's own password after checking the current one; ends the user's other sessions. */
export async function changeOwnPassword(
  handle: DatabaseHandle,
  input: { userId: number; currentPassword: string; newPassword: string; keepSessionId: string },
  actor: AuditActor,
  now = new Date(),
): Promise<void> {
  const user = await findUserById(handle.db, input.userId);
  const currentHash = await findPasswordHash(handle.db, input.userId);
  if (user === undefined || currentHash === undefined)
    throw new AccountError('current_password', 'Account not found');
  if (!(await verifyPassword(currentHash, input.currentPassword))) {
    throw new AccountError('current_password', 'The current password is not right');
  }
  const problem = passwordProblem(input.newPassword, user.email);
  if (problem !== null) throw new AccountError('new_password', `The new password ${problem}`);
  const passwordHash = await hashPassword(input.newPassword);
  await handle.db.transaction().execute(async (trx) => {
    await updateUserFields(trx, user.id, { passwordHash }, now);
    await deleteUserSessions(trx, user.id, input.keepSessionId);
    await recordAudit(trx, actor, 'user.password_changed', { type: 'user', id: user.id }, {}, now);
  });
}

/** Disables or re-enables an account; disabling ends its sessions at once. */
export async function setUserDisabled(
  handle: DatabaseHandle,
  userId: number,
  disabled: boolean,
  actor: AuditActor,
  now = new Date(),
): Promise<void> {
  if (actor.userId === userId && disabled)
    throw new AccountError('user', 'You cannot disable your own account');
  await handle.db.transaction().execute(async (trx) => {
    await updateUserFields(trx, userId, { disabledAt: disabled ? now : null }, now);
    if (disabled) await deleteUserSessions(trx, userId);
    await recordAudit(
      trx,
      actor,
      disabled ? 'user.disabled' : 'user.enabled',
      { type: 'user', id: userId },
      {},
      now,
    );
  });
}

/** Changes a user's role and organisations (admins only; the policy decides). */
export async function changeUserRole(
  handle: DatabaseHandle,
  input: { userId: number; role: string; organisationIds: number[] },
  actor: AuditActor,
  now = new Date(),
): Promise<void> {
  if (!isRole(input.role))
    throw new AccountError('role', `must be admin, editor or contributor, got "${input.role}"`);
  const role: Role = input.role;
  if (role === 'contributor' && input.organisationIds.length === 0) {
    throw new AccountError('organisations', 'A contributor needs at least one organisation');
  }
  if (actor.userId === input.userId && role !== 'admin') {
    throw new AccountError('role', 'You cannot remove your own administrator role');
  }
  await handle.db.transaction().execute(async (trx) => {
    const before = await findUserById(trx, input.userId);
    if (before === undefined) throw new AccountError('user', 'Account not found');
    await updateUserFields(trx, input.userId, { role }, now);
    await replaceUserOrganisations(trx, input.userId, input.organisationIds);
    await recordAudit(
      trx,
      actor,
      'user.role_changed',
      { type: 'user', id: input.userId },
      { from: before.role, to: role, organisationIds: input.organisationIds },
      now,
    );
  });
}

/** When an account may next try a password, or null now: wrong current passwords count like sign-ins. */
export async function accountLockedUntil(
  handle: DatabaseHandle,
  email: string,
  now = new Date(),
): Promise<Date | null> {
  return lockedUntil(handle.db, `account:${normaliseEmail(email)}`, now);
}

/**
 * Counts a wrong current password typed by a signed-in user (changing the password, turning
 * two-factor off) toward the sign-in throttle, so a stolen session cannot guess it at leisure.
 */
export async function recordWrongCurrentPassword(
  handle: DatabaseHandle,
  input: { userId: number; email: string; purpose: string },
  actor: AuditActor,
  now = new Date(),
): Promise<void> {
  await handle.db.transaction().execute(async (trx) => {
    await recordFailure(trx, `account:${normaliseEmail(input.email)}`, ACCOUNT_RULE, now);
    if (actor.ip !== null) await recordFailure(trx, `address:${actor.ip}`, ADDRESS_RULE, now);
    await recordAudit(
      trx,
      actor,
      'user.password_check_failed',
      { type: 'user', id: input.userId },
      { purpose: input.purpose },
      now,
    );
  });
}

/**
 * One page of the audit log, newest first, optionally only actions starting with a prefix.
 * It lives here until src/audit/audit-log.ts's listAuditEntries takes such a filter.
 */
export async function findAuditEntries(
  db: Queryable,
  filter: { actionPrefix: string | null; limit: number; offset: number },
): Promise<{ entries: AuditEntry[]; total: number }> {
  const prefix = filter.actionPrefix;
  // substr() is the same in SQLite and PostgreSQL and, unlike LIKE, has no wildcards to escape.
  const base = db
    .selectFrom('audit_log')
    .$if(prefix !== null && prefix !== '', (query) =>
      query.where((eb) =>
        eb(
          eb.fn('substr', [eb.ref('action'), eb.lit(1), eb.lit(prefix?.length ?? 0)]),
          '=',
          prefix ?? '',
        ),
      ),
    );
  const [rows, count] = await Promise.all([
    base
      .selectAll()
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute(),
    base.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow(),
  ]);
  return {
    total: Number(count.count),
    entries: rows.map((row) => {
      let detail: Record<string, unknown> = {};
      try {
        const parsed: unknown = JSON.parse(row.detail);
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
          detail = parsed as Record<string, unknown>;
      } catch {
        detail = { unreadable: row.detail };
      }
      return {
        id: row.id,
        at: toDate(row.at),
        actorUserId: row.actor_user_id,
        actorLabel: row.actor_label,
        action: row.action,
        subjectType: row.subject_type,
        subjectId: row.subject_id,
        detail,
        ip: row.ip,
      };
    }),
  };
}
