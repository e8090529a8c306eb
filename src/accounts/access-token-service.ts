import { createHash, randomBytes } from 'node:crypto';
import { type AuditActor, recordAudit } from '../audit/audit-log.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import { type Queryable, toDate } from '../db/database.ts';
import type { User } from './user.ts';
import { findUserById } from './user-repository.ts';

export const TOKEN_SCOPES = ['read', 'write'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** Lifetimes offered, in days; null never expires. */
export const TOKEN_LIFETIMES_DAYS = [7, 30, 90, 365, null] as const;

const TOKEN_PREFIX = 'cq_';
const TOKEN_SHAPE = /^cq_[A-Za-z0-9_-]{43}$/;
const MAX_ACTIVE_TOKENS = 25;
// Writing last_used_at on every request would turn each API read into a write.
const LAST_USED_PRECISION_MS = 60_000;

/** A token as its owner sees it in the back office: never the token itself. */
export interface AccessToken {
  id: number;
  name: string;
  scope: TokenScope;
  hint: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** A request's proven identity: the token's owner, limited to the token's scope. */
export interface TokenIdentity {
  tokenId: number;
  tokenName: string;
  /** The token's first characters: with the id, a key no other site's token shares in a common Redis. */
  tokenHint: string;
  scope: TokenScope;
  user: User;
}

export class AccessTokenInputError extends Error {
  readonly fields: Record<string, string>;
  constructor(fields: Record<string, string>) {
    super(Object.values(fields).join(' '));
    this.name = 'AccessTokenInputError';
    this.fields = fields;
  }
}

export function isTokenScope(value: string): value is TokenScope {
  return (TOKEN_SCOPES as readonly string[]).includes(value);
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function toAccessToken(row: {
  id: number;
  name: string;
  scope: string;
  token_hint: string;
  created_at: Date | string;
  expires_at: Date | string | null;
  last_used_at: Date | string | null;
  revoked_at: Date | string | null;
}): AccessToken {
  return {
    id: row.id,
    name: row.name,
    scope: isTokenScope(row.scope) ? row.scope : 'read',
    hint: row.token_hint,
    createdAt: toDate(row.created_at),
    expiresAt: row.expires_at === null ? null : toDate(row.expires_at),
    lastUsedAt: row.last_used_at === null ? null : toDate(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : toDate(row.revoked_at),
  };
}

const COLUMNS = [
  'id',
  'name',
  'scope',
  'token_hint',
  'created_at',
  'expires_at',
  'last_used_at',
  'revoked_at',
] as const;

export async function listAccessTokens(db: Queryable, userId: number): Promise<AccessToken[]> {
  const rows = await db
    .selectFrom('access_tokens')
    .select(COLUMNS)
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toAccessToken);
}

/** Creates a token for its owner; the returned secret is shown once and only its hash is stored. */
export async function createAccessToken(
  handle: DatabaseHandle,
  owner: User,
  audit: AuditActor,
  input: { name: string; scope: string; lifetimeDays: string },
  now = new Date(),
): Promise<{ id: number; token: string }> {
  const errors: Record<string, string> = {};
  const name = input.name.trim();
  if (name === '') errors.name = 'Name the token after what will use it, e.g. "Newsletter sync".';
  else if (name.length > 100) errors.name = 'The name can be at most 100 characters.';
  if (!isTokenScope(input.scope)) errors.scope = 'Choose read or write.';
  const lifetime =
    input.lifetimeDays === 'never'
      ? null
      : TOKEN_LIFETIMES_DAYS.find((days) => String(days) === input.lifetimeDays);
  if (lifetime === undefined) errors.lifetime = 'Choose how long the token stays valid.';
  if (Object.keys(errors).length > 0) throw new AccessTokenInputError(errors);
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return handle.db.transaction().execute(async (trx) => {
    const active = await trx
      .selectFrom('access_tokens')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('user_id', '=', owner.id)
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    if (Number(active.count) >= MAX_ACTIVE_TOKENS)
      throw new AccessTokenInputError({
        name: `You already have ${MAX_ACTIVE_TOKENS} active tokens; revoke one you no longer use first.`,
      });
    const { id } = await trx
      .insertInto('access_tokens')
      .values({
        user_id: owner.id,
        name,
        scope: input.scope,
        token_hash: hashToken(token),
        token_hint: token.slice(0, 10),
        created_at: now,
        expires_at: lifetime == null ? null : new Date(now.getTime() + lifetime * 86_400_000),
        last_used_at: null,
        revoked_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      audit,
      'access_token.created',
      { type: 'access_token', id },
      { name, scope: input.scope, expires_in_days: lifetime },
      now,
    );
    return { id, token };
  });
}

/** Revokes one of the owner's tokens; revoking twice is harmless. Returns false when it is not theirs. */
export async function revokeAccessToken(
  handle: DatabaseHandle,
  owner: User,
  audit: AuditActor,
  tokenId: number,
  now = new Date(),
): Promise<boolean> {
  return handle.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('access_tokens')
      .select(['id', 'name', 'revoked_at'])
      .where('id', '=', tokenId)
      .where('user_id', '=', owner.id)
      .executeTakeFirst();
    if (row === undefined) return false;
    if (row.revoked_at !== null) return true;
    await trx
      .updateTable('access_tokens')
      .set({ revoked_at: now })
      .where('id', '=', tokenId)
      .execute();
    await recordAudit(
      trx,
      audit,
      'access_token.revoked',
      { type: 'access_token', id: tokenId },
      { name: row.name },
      now,
    );
    return true;
  });
}

/** Who a bearer token belongs to, if it is well-formed, known, unrevoked, unexpired and its owner active. */
export async function authenticateAccessToken(
  db: Queryable,
  token: string,
  now = new Date(),
): Promise<TokenIdentity | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  const row = await db
    .selectFrom('access_tokens')
    .select([
      'id',
      'user_id',
      'name',
      'token_hint',
      'scope',
      'expires_at',
      'last_used_at',
      'revoked_at',
    ])
    .where('token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (row === undefined || row.revoked_at !== null || !isTokenScope(row.scope)) return undefined;
  if (row.expires_at !== null && toDate(row.expires_at).getTime() <= now.getTime())
    return undefined;
  const user = await findUserById(db, row.user_id);
  if (user === undefined || user.disabled) return undefined;
  const lastUsed = row.last_used_at === null ? 0 : toDate(row.last_used_at).getTime();
  if (now.getTime() - lastUsed >= LAST_USED_PRECISION_MS)
    await db
      .updateTable('access_tokens')
      .set({ last_used_at: now })
      .where('id', '=', row.id)
      .execute();
  return {
    tokenId: row.id,
    tokenName: row.name,
    tokenHint: row.token_hint,
    scope: row.scope,
    user,
  };
}
