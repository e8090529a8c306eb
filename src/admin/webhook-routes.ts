import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readSettings } from '../settings/index.ts';
import {
  createWebhook,
  type DeliveryLogEntry,
  deleteWebhook,
  findWebhookWithDeliveries,
  listWebhooksWithCounts,
  MAX_DESCRIPTION_LENGTH,
  MAX_URL_LENGTH,
  rotateWebhookSecret,
  SIGNATURE_HEADER,
  sendTestEvent,
  updateWebhook,
  WEBHOOK_EVENT_LABELS,
  WEBHOOK_EVENTS,
  type Webhook,
  type WebhookDraft,
  WebhookForbiddenError,
  WebhookInactiveError,
  WebhookInputError,
  type WebhookManager,
  WebhookNotFoundError,
  WebhookSecretsUnavailableError,
  webhookSecretsUnavailableReason,
} from '../webhooks/index.ts';
import {
  type AdminDependencies,
  auditActor,
  redirectWithNotice,
  renderAdmin,
} from './admin-context.ts';
import { AdminHttpError } from './admin-http-error.ts';
import { type FormBody, formField } from './form-field.ts';

/** One checkbox per event, named event_<name without "statement.">, so every field name is plain. */
function eventField(event: string): string {
  return `event_${event.replace(/^statement\./, '')}`;
}

function readWebhookForm(body: FormBody): WebhookDraft {
  return {
    url: formField(body, 'url'),
    description: formField(body, 'description'),
    events: WEBHOOK_EVENTS.filter((event) => formField(body, eventField(event)) !== ''),
    active: formField(body, 'active') !== '',
  };
}

function webhookId(raw: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw new AdminHttpError(404, 'There is no such webhook.');
  return Number(raw);
}

function manager(request: FastifyRequest): WebhookManager {
  if (request.actor === null) throw new AdminHttpError(401, 'Please sign in again.');
  return { user: request.actor, audit: auditActor(request) };
}

/** Turns the webhook module's refusals into back-office answers. */
function asHttpError(error: unknown): never {
  if (error instanceof WebhookNotFoundError) throw new AdminHttpError(404, error.message);
  if (error instanceof WebhookForbiddenError) throw new AdminHttpError(403, error.message);
  if (error instanceof WebhookSecretsUnavailableError) throw new AdminHttpError(503, error.message);
  throw error;
}

// 'sv-SE' writes YYYY-MM-DD HH:MM:SS, as the audit log does.
function timeFormatter(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
}

const STATUS_LABELS: Record<DeliveryLogEntry['status'], { label: string; css: string }> = {
  pending: { label: 'Waiting', css: 'status-scheduled' },
  delivered: { label: 'Delivered', css: 'status-active' },
  failed: { label: 'Failed', css: 'status-disabled' },
};

function presentDelivery(entry: DeliveryLogEntry, format: Intl.DateTimeFormat) {
  const status = entry.inFlight
    ? { label: 'Sending', css: 'status-scheduled' }
    : STATUS_LABELS[entry.status];
  return {
    id: entry.id,
    event: entry.event,
    event_id: entry.eventId,
    status: entry.status,
    status_label: status.label,
    status_css: status.css,
    attempts: entry.attempts,
    queued: format.format(entry.createdAt),
    queued_iso: entry.createdAt.toISOString(),
    last_answer:
      entry.lastStatusCode !== null
        ? `HTTP ${entry.lastStatusCode}${entry.lastError === null ? '' : ` — ${entry.lastError}`}`
        : entry.lastError,
    next_attempt: entry.nextAttemptAt === null ? null : format.format(entry.nextAttemptAt),
    next_attempt_iso: entry.nextAttemptAt?.toISOString() ?? null,
  };
}

function formValues(draft: WebhookDraft) {
  return {
    url: draft.url,
    description: draft.description,
    active: draft.active,
    events: WEBHOOK_EVENTS.map((event) => ({
      value: event,
      field: eventField(event),
      label: WEBHOOK_EVENT_LABELS[event],
      checked: draft.events.includes(event),
    })),
  };
}

function draftOf(webhook: Webhook): WebhookDraft {
  return {
    url: webhook.url,
    description: webhook.description,
    events: webhook.events,
    active: webhook.active,
  };
}

/** Webhooks (administrators only): where statement events are POSTed, and how each delivery went. */
export function registerWebhookRoutes(admin: FastifyInstance, deps: AdminDependencies): void {
  const { handle, config } = deps;
  const action = { config: { action: 'webhook.manage' as const } };
  const limits = { max_url: MAX_URL_LENGTH, max_description: MAX_DESCRIPTION_LENGTH };

  const showNewForm = (
    request: FastifyRequest,
    reply: FastifyReply,
    draft: WebhookDraft,
    errors: Record<string, string> | null,
    status: number,
  ) =>
    renderAdmin(
      deps,
      request,
      reply,
      'webhook-new',
      {
        title: 'New webhook',
        values: formValues(draft),
        errors,
        unavailable: webhookSecretsUnavailableReason(config),
        ...limits,
      },
      status,
    );

  const showEditPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    id: number,
    extra: { draft?: WebhookDraft; errors?: Record<string, string>; error?: string },
    status: number,
  ) => {
    const found = await findWebhookWithDeliveries(handle, manager(request), id).catch(asHttpError);
    const settings = await readSettings(handle.db);
    const format = timeFormatter(settings.timezone);
    return renderAdmin(
      deps,
      request,
      reply,
      'webhook-edit',
      {
        title: `Webhook: ${found.webhook.url}`,
        webhook: {
          id: found.webhook.id,
          url: found.webhook.url,
          description: found.webhook.description,
          active: found.webhook.active,
          created: format.format(found.webhook.createdAt),
        },
        values: formValues(extra.draft ?? draftOf(found.webhook)),
        errors: extra.errors ?? null,
        error: extra.error ?? null,
        deliveries: found.deliveries.map((entry) => presentDelivery(entry, format)),
        timezone: settings.timezone,
        signature_header: SIGNATURE_HEADER,
        unavailable: webhookSecretsUnavailableReason(config),
        ...limits,
      },
      status,
    );
  };

  const showSecret = (
    request: FastifyRequest,
    reply: FastifyReply,
    id: number,
    secret: string,
    created: boolean,
  ) =>
    renderAdmin(
      deps,
      request,
      reply,
      'webhook-secret',
      {
        title: created ? 'Webhook created' : 'New signing secret',
        webhook_id: id,
        secret,
        created,
        signature_header: SIGNATURE_HEADER,
      },
      created ? 201 : 200,
    );

  admin.get('/webhooks', action, async (request, reply) => {
    const webhooks = await listWebhooksWithCounts(handle, manager(request)).catch(asHttpError);
    return renderAdmin(deps, request, reply, 'webhooks', {
      title: 'Webhooks',
      unavailable: webhookSecretsUnavailableReason(config),
      webhooks: webhooks.map((webhook) => ({
        id: webhook.id,
        url: webhook.url,
        description: webhook.description,
        events: webhook.events.join(', '),
        active: webhook.active,
        pending: webhook.deliveries.pending,
        failed: webhook.deliveries.failed,
        delivered: webhook.deliveries.delivered,
      })),
    });
  });

  admin.get('/webhooks/new', action, async (request, reply) =>
    showNewForm(
      request,
      reply,
      { url: '', description: '', events: [...WEBHOOK_EVENTS], active: true },
      null,
      200,
    ),
  );

  admin.post<{ Body: FormBody }>('/webhooks', action, async (request, reply) => {
    const draft = readWebhookForm(request.body);
    try {
      const { id, secret } = await createWebhook(handle, config, manager(request), draft);
      // Rendered, not redirected: the secret must never travel in a URL or be shown twice.
      return showSecret(request, reply, id, secret, true);
    } catch (error) {
      if (error instanceof WebhookInputError)
        return showNewForm(request, reply, draft, error.fields, 422);
      return asHttpError(error);
    }
  });

  admin.get<{ Params: { id: string } }>('/webhooks/:id', action, async (request, reply) =>
    showEditPage(request, reply, webhookId(request.params.id), {}, 200),
  );

  admin.post<{ Params: { id: string }; Body: FormBody }>(
    '/webhooks/:id',
    action,
    async (request, reply) => {
      const id = webhookId(request.params.id);
      const draft = readWebhookForm(request.body);
      try {
        await updateWebhook(handle, manager(request), id, draft);
      } catch (error) {
        if (error instanceof WebhookInputError)
          return showEditPage(request, reply, id, { draft, errors: error.fields }, 422);
        return asHttpError(error);
      }
      return redirectWithNotice(reply, `/admin/webhooks/${id}`, 'saved');
    },
  );

  admin.post<{ Params: { id: string } }>(
    '/webhooks/:id/rotate-secret',
    action,
    async (request, reply) => {
      const id = webhookId(request.params.id);
      const secret = await rotateWebhookSecret(handle, config, manager(request), id).catch(
        asHttpError,
      );
      return showSecret(request, reply, id, secret, false);
    },
  );

  admin.post<{ Params: { id: string } }>('/webhooks/:id/test', action, async (request, reply) => {
    const id = webhookId(request.params.id);
    try {
      await sendTestEvent(handle, manager(request), id);
    } catch (error) {
      if (error instanceof WebhookInactiveError)
        return showEditPage(request, reply, id, { error: error.message }, 409);
      return asHttpError(error);
    }
    deps.webhooksQueued();
    return redirectWithNotice(reply, `/admin/webhooks/${id}`, 'test_sent');
  });

  admin.post<{ Params: { id: string } }>('/webhooks/:id/delete', action, async (request, reply) => {
    const id = webhookId(request.params.id);
    await deleteWebhook(handle, manager(request), id).catch(asHttpError);
    return redirectWithNotice(reply, '/admin/webhooks', 'deleted');
  });
}
