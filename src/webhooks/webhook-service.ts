import { can } from '../accounts/policy.ts';
import type { User } from '../accounts/user.ts';
import { type AuditActor, recordAudit } from '../audit/audit-log.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import type { Queryable } from '../db/database.ts';
import {
  countDeliveriesByStatus,
  type DeliveryLogEntry,
  type DeliveryStatus,
  listRecentDeliveries,
} from './delivery-repository.ts';
import {
  redactedUrl,
  validateWebhook,
  type Webhook,
  type WebhookDraft,
  type WebhookInput,
} from './webhook.ts';
import { enqueueTestEvent } from './webhook-events.ts';
import {
  deleteWebhookRow,
  findWebhook,
  insertWebhook,
  listWebhooks,
  storeSealedSecret,
  updateWebhookRow,
} from './webhook-repository.ts';
import {
  type KeyConfig,
  newWebhookSecret,
  sealWebhookSecret,
  webhookSecretsUnavailableReason,
} from './webhook-secret.ts';

/** Who manages webhooks, and how the audit log names them. */
export interface WebhookManager {
  user: User;
  audit: AuditActor;
}

export class WebhookForbiddenError extends Error {
  constructor(message = 'Only administrators manage webhooks.') {
    super(message);
    this.name = 'WebhookForbiddenError';
  }
}

export class WebhookNotFoundError extends Error {
  constructor() {
    super('There is no such webhook.');
    this.name = 'WebhookNotFoundError';
  }
}

/** A test event was asked for a switched-off webhook, which would never send it. */
export class WebhookInactiveError extends Error {
  constructor() {
    super('Switch the webhook on before sending it a test event.');
    this.name = 'WebhookInactiveError';
  }
}

/** The server cannot encrypt signing secrets, so it cannot create webhooks or rotate their secrets. */
export class WebhookSecretsUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSecretsUnavailableError';
  }
}

/** Deliveries shown per webhook in the back office. */
export const DELIVERY_LOG_LENGTH = 50;

function authorise(manager: WebhookManager): void {
  if (!can(manager.user, 'webhook.manage')) throw new WebhookForbiddenError();
}

function requireKeys(keys: KeyConfig): void {
  const reason = webhookSecretsUnavailableReason(keys);
  if (reason !== null) throw new WebhookSecretsUnavailableError(reason);
}

export interface WebhookOverview extends Webhook {
  deliveries: Record<DeliveryStatus, number>;
}

export async function listWebhooksWithCounts(
  handle: DatabaseHandle,
  manager: WebhookManager,
): Promise<WebhookOverview[]> {
  authorise(manager);
  const [webhooks, counts] = await Promise.all([
    listWebhooks(handle.db),
    countDeliveriesByStatus(handle.db),
  ]);
  return webhooks.map((webhook) => ({
    ...webhook,
    deliveries: counts.get(webhook.id) ?? { pending: 0, delivered: 0, failed: 0 },
  }));
}

export async function findWebhookWithDeliveries(
  handle: DatabaseHandle,
  manager: WebhookManager,
  id: number,
  now = new Date(),
): Promise<{ webhook: Webhook; deliveries: DeliveryLogEntry[] }> {
  authorise(manager);
  const webhook = await findWebhook(handle.db, id);
  if (webhook === undefined) throw new WebhookNotFoundError();
  const deliveries = await listRecentDeliveries(handle.db, id, DELIVERY_LOG_LENGTH, now);
  return { webhook, deliveries };
}

/** What saving a webhook wrote, for the audit log, and what the caller gets back. */
interface SavedWebhook<T> {
  id: number;
  action: 'webhook.created' | 'webhook.updated';
  detail: Record<string, unknown>;
  result: T;
}

/** Create and update alike: a manager only, a valid draft only, the write audited in its transaction. */
async function saveWebhook<T>(
  handle: DatabaseHandle,
  manager: WebhookManager,
  draft: WebhookDraft,
  now: Date,
  write: (trx: Queryable, input: WebhookInput) => Promise<SavedWebhook<T>>,
): Promise<T> {
  authorise(manager);
  const input = validateWebhook(draft);
  return handle.db.transaction().execute(async (trx) => {
    const saved = await write(trx, input);
    await recordAudit(
      trx,
      manager.audit,
      saved.action,
      { type: 'webhook', id: saved.id },
      saved.detail,
      now,
    );
    return saved.result;
  });
}

/** Creates a webhook with a new signing secret; the secret is returned once and stored only sealed. */
export async function createWebhook(
  handle: DatabaseHandle,
  keys: KeyConfig,
  manager: WebhookManager,
  draft: WebhookDraft,
  now = new Date(),
): Promise<{ id: number; secret: string }> {
  return saveWebhook(handle, manager, draft, now, async (trx, input) => {
    requireKeys(keys);
    const secret = newWebhookSecret();
    const id = await insertWebhook(trx, input, manager.user.id, now);
    await storeSealedSecret(trx, id, sealWebhookSecret(keys, id, secret), now);
    return {
      id,
      action: 'webhook.created',
      detail: { url: redactedUrl(input.url), events: input.events, active: input.active },
      result: { id, secret },
    };
  });
}

export async function updateWebhook(
  handle: DatabaseHandle,
  manager: WebhookManager,
  id: number,
  draft: WebhookDraft,
  now = new Date(),
): Promise<void> {
  await saveWebhook(handle, manager, draft, now, async (trx, input) => {
    const current = await findWebhook(trx, id);
    if (current === undefined) throw new WebhookNotFoundError();
    await updateWebhookRow(trx, id, input, now);
    const changes: Record<string, unknown> = {};
    if (current.url !== input.url) changes.url = redactedUrl(input.url);
    if (current.description !== input.description) changes.description = input.description;
    if (current.events.join() !== input.events.join()) changes.events = input.events;
    if (current.active !== input.active) changes.active = input.active;
    return { id, action: 'webhook.updated', detail: changes, result: undefined };
  });
}

/** Deletes a webhook and its delivery log; deliveries not yet sent are dropped with it. */
export async function deleteWebhook(
  handle: DatabaseHandle,
  manager: WebhookManager,
  id: number,
  now = new Date(),
): Promise<void> {
  authorise(manager);
  await handle.db.transaction().execute(async (trx) => {
    const current = await findWebhook(trx, id);
    if (current === undefined) throw new WebhookNotFoundError();
    await deleteWebhookRow(trx, id);
    await recordAudit(
      trx,
      manager.audit,
      'webhook.deleted',
      { type: 'webhook', id },
      { url: redactedUrl(current.url) },
      now,
    );
  });
}

/** Replaces the signing secret; deliveries still waiting are signed with the new one. */
export async function rotateWebhookSecret(
  handle: DatabaseHandle,
  keys: KeyConfig,
  manager: WebhookManager,
  id: number,
  now = new Date(),
): Promise<string> {
  authorise(manager);
  requireKeys(keys);
  const secret = newWebhookSecret();
  await handle.db.transaction().execute(async (trx) => {
    const current = await findWebhook(trx, id);
    if (current === undefined) throw new WebhookNotFoundError();
    await storeSealedSecret(trx, id, sealWebhookSecret(keys, id, secret), now);
    await recordAudit(
      trx,
      manager.audit,
      'webhook.secret_rotated',
      { type: 'webhook', id },
      { url: redactedUrl(current.url) },
      now,
    );
  });
  return secret;
}

/** Queues a `webhook.test` event for one active webhook. */
export async function sendTestEvent(
  handle: DatabaseHandle,
  manager: WebhookManager,
  id: number,
  now = new Date(),
): Promise<void> {
  authorise(manager);
  await handle.db.transaction().execute(async (trx) => {
    const current = await findWebhook(trx, id);
    if (current === undefined) throw new WebhookNotFoundError();
    if (!current.active) throw new WebhookInactiveError();
    await enqueueTestEvent(trx, id, now);
  });
}
