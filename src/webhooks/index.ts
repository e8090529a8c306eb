export type {
  DeliveryLogEntry,
  DeliveryStatus,
} from './delivery-repository.ts';
export {
  DELIVERY_HEADER,
  EVENT_HEADER,
  USER_AGENT,
  WebhookDeliveryWorker,
} from './delivery-worker.ts';
export { retryDelayMs } from './retry-schedule.ts';
export { SIGNATURE_HEADER, signatureHeader } from './signature.ts';
export {
  isWebhookEvent,
  MAX_DESCRIPTION_LENGTH,
  MAX_URL_LENGTH,
  TEST_EVENT,
  WEBHOOK_EVENT_LABELS,
  WEBHOOK_EVENTS,
  type Webhook,
  type WebhookDraft,
  type WebhookEvent,
  WebhookInputError,
} from './webhook.ts';
export { enqueueStatementEvent } from './webhook-events.ts';
export { webhookSecretsUnavailableReason } from './webhook-secret.ts';
export {
  createWebhook,
  DELIVERY_LOG_LENGTH,
  deleteWebhook,
  findWebhookWithDeliveries,
  listWebhooksWithCounts,
  rotateWebhookSecret,
  sendTestEvent,
  updateWebhook,
  WebhookForbiddenError,
  WebhookInactiveError,
  type WebhookManager,
  WebhookNotFoundError,
  type WebhookOverview,
  WebhookSecretsUnavailableError,
} from './webhook-service.ts';
