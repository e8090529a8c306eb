import { type Queryable, toDate } from '../db/database.ts';
import { isRole, type Role, type User } from './user.ts';

const COLUMNS = [
  'id',
  'email',
  'name',
  'role',
  'totp_secret',
  'disabled_at',
  'created_at',
] as const;

type UserRow = {
  id: number;
  email: string;
  name: string;
  role: string;
  totp_secret: string | null;
  disabled_at: Date | string | null;
  created_at: Date | string;
};

async function organisationIdsOf(db: Queryable, userIds: number[]): Promise<Map<number, number[]>> {
  const byUser = new Map<number, number[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return byUser;
  const rows = await db
    .selectFrom('user_organisations')
    .select(['user_id', 'organisation_id'])
    .where('user_id', 'in', userIds)
    .orderBy('organisation_id')
    .execute();
  for (const row of rows) byUser.get(row.user_id)?.push(row.organisation_id);
  return byUser;
}

function toUser(row: UserRow, organisationIds: number[]): User {
  if (!isRole(row.role)) throw new Error(`User ${row.id} has an unknown role "${row.role}"`);
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    organisationIds,
    twoFactorEnabled: row.totp_secret !== null,
    disabled: row.disabled_at !== null,
    createdAt: toDate(row.created_at),
  };
}

export async function findUserById(db: Queryable, id: number): Promise<User | undefined> {
  const row = await db.selectFrom('users').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  if (row === undefined) return undefined;
  return toUser(row, (await organisationIdsOf(db, [row.id])).get(row.id) ?? []);
}

export async function findUserCredentials(
  db: Queryable,
  email: string,
): Promise<
  { id: number; passwordHash: string; disabled: boolean; totpSecret: string | null } | undefined
> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'password_hash', 'disabled_at', 'totp_secret'])
    .where('email', '=', email)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    id: row.id,
    passwordHash: row.password_hash,
    disabled: row.disabled_at !== null,
    totpSecret: row.totp_secret,
  };
}

export async function listUsers(db: Queryable): Promise<User[]> {
  const rows = await db.selectFrom('users').select(COLUMNS).orderBy('name').orderBy('id').execute();
  const organisations = await organisationIdsOf(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => toUser(row, organisations.get(row.id) ?? []));
}

export async function insertUser(
  db: Queryable,
  input: {
    email: string;
    name: string;
    role: Role;
    passwordHash: string;
    organisationIds: number[];
  },
  now: Date,
): Promise<number> {
  const { id } = await db
    .insertInto('users')
    .values({
      email: input.email,
      name: input.name,
      role: input.role,
      password_hash: input.passwordHash,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await replaceUserOrganisations(db, id, input.organisationIds);
  return id;
}

export async function replaceUserOrganisations(
  db: Queryable,
  userId: number,
  organisationIds: number[],
): Promise<void> {
  await db.deleteFrom('user_organisations').where('user_id', '=', userId).execute();
  if (organisationIds.length === 0) return;
  await db
    .insertInto('user_organisations')
    .values(
      organisationIds.map((organisationId) => ({
        user_id: userId,
        organisation_id: organisationId,
      })),
    )
    .execute();
}

export async function updateUserFields(
  db: Queryable,
  id: number,
  fields: { passwordHash?: string; role?: Role; name?: string; disabledAt?: Date | null },
  now: Date,
): Promise<void> {
  await db
    .updateTable('users')
    .set({
      ...(fields.passwordHash === undefined ? {} : { password_hash: fields.passwordHash }),
      ...(fields.role === undefined ? {} : { role: fields.role }),
      ...(fields.name === undefined ? {} : { name: fields.name }),
      ...(fields.disabledAt === undefined ? {} : { disabled_at: fields.disabledAt }),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}

export async function findPasswordHash(db: Queryable, id: number): Promise<string | undefined> {
  return (
    await db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirst()
  )?.password_hash;
}
