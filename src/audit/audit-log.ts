import { type Queryable, toDate } from '../db/database.ts';

/** Who did something, and from where. */
export interface AuditActor {
  userId: number | null;
  label: string;
  ip: string | null;
}

export interface AuditEntry {
  id: number;
  at: Date;
  actorUserId: number | null;
  actorLabel: string;
  action: string;
  subjectType: string | null;
  subjectId: number | null;
  detail: Record<string, unknown>;
  ip: string | null;
}

/** Records one action; call it inside the transaction that made the change. */
export async function recordAudit(
  db: Queryable,
  actor: AuditActor,
  action: string,
  subject: { type: string; id: number } | null,
  detail: Record<string, unknown> = {},
  now = new Date(),
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: now,
      actor_user_id: actor.userId,
      actor_label: actor.label,
      action,
      subject_type: subject?.type ?? null,
      subject_id: subject?.id ?? null,
      detail: JSON.stringify(detail),
      ip: actor.ip,
    })
    .execute();
}

export async function listAuditEntries(
  db: Queryable,
  limit: number,
  offset: number,
): Promise<AuditEntry[]> {
  const rows = await db
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    at: toDate(row.at),
    actorUserId: row.actor_user_id,
    actorLabel: row.actor_label,
    action: row.action,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    ip: row.ip,
  }));
}

export async function countAuditEntries(db: Queryable): Promise<number> {
  const row = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
