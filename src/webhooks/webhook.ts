/** The events a webhook can ask for. */
export const WEBHOOK_EVENTS = [
  'statement.published',
  'statement.updated',
  'statement.unpublished',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Sent only when an administrator presses "Send a test event", whatever the webhook subscribes to. */
export const TEST_EVENT = 'webhook.test';
export type DeliverableEvent = WebhookEvent | typeof TEST_EVENT;

export const WEBHOOK_EVENT_LABELS: Record<WebhookEvent, string> = {
  'statement.published': 'A statement is published (also by the scheduler)',
  'statement.updated': 'A published statement is edited',
  'statement.unpublished': 'A statement leaves the public site (unpublished, archived or deleted)',
};

export function isWebhookEvent(value: string): value is WebhookEvent {
  return (WEBHOOK_EVENTS as readonly string[]).includes(value);
}

export interface Webhook {
  id: number;
  url: string;
  description: string;
  events: WebhookEvent[];
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** What an administrator submits; checked by `validateWebhook`. */
export interface WebhookDraft {
  url: string;
  description: string;
  events: string[];
  active: boolean;
}

export interface WebhookInput {
  url: string;
  description: string;
  events: WebhookEvent[];
  active: boolean;
}

export const MAX_URL_LENGTH = 2000;
export const MAX_DESCRIPTION_LENGTH = 500;

/** Rejected webhook input, one plain message per form field. */
export class WebhookInputError extends Error {
  readonly fields: Record<string, string>;
  constructor(fields: Record<string, string>) {
    super(`Invalid webhook: ${Object.values(fields).join(' ')}`);
    this.name = 'WebhookInputError';
    this.fields = fields;
  }
}

function urlProblem(raw: string): string | null {
  if (raw === '')
    return 'Target address: enter the address that should receive the events, e.g. https://example.org/hooks/communique.';
  if (raw.length > MAX_URL_LENGTH)
    return `Target address: it can be at most ${MAX_URL_LENGTH} characters.`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `Target address: "${raw}" is not a complete web address. Start it with https:// or http://.`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return `Target address: only https:// and http:// addresses can receive webhooks, not ${url.protocol}//.`;
  if (url.hostname === '') return 'Target address: it needs a host name, e.g. example.org.';
  // Credentials in the address would sit in the database in plain text; the signature authenticates instead.
  if (url.username !== '' || url.password !== '')
    return 'Target address: leave out the user name and password. Every request is signed instead.';
  if (url.hash !== '')
    return 'Target address: remove the part from "#" on; it is never sent to the receiver.';
  return null;
}

/** Checks every field at once, so the form can show every problem together. */
export function validateWebhook(draft: WebhookDraft): WebhookInput {
  const errors: Record<string, string> = {};
  const url = draft.url.trim();
  const problem = urlProblem(url);
  if (problem !== null) errors.url = problem;
  const description = draft.description.trim();
  if (description.length > MAX_DESCRIPTION_LENGTH)
    errors.description = `Description: it can be at most ${MAX_DESCRIPTION_LENGTH} characters.`;
  const events = WEBHOOK_EVENTS.filter((event) => draft.events.includes(event));
  if (draft.events.some((event) => !isWebhookEvent(event)))
    errors.events = 'Events: one of the chosen events does not exist. Choose again.';
  else if (events.length === 0)
    errors.events = 'Events: choose at least one event to send to this address.';
  if (Object.keys(errors).length > 0) throw new WebhookInputError(errors);
  return { url: new URL(url).href, description, events, active: draft.active };
}

/** The address without its query, for the audit log: receivers often put tokens there. */
export function redactedUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.origin}${url.pathname}${url.search === '' ? '' : '?…'}`;
  } catch {
    return '(invalid address)';
  }
}
