import type { Generated, Kysely, Transaction } from 'kysely';

/** Timestamps are ISO strings on SQLite and Date objects on PostgreSQL; read them with `toDate`. */
export type Timestamp = Date | string;

export interface SettingTable {
  key: string;
  value: string;
}

export interface OrganisationTable {
  id: Generated<number>;
  slug: string;
  name: string;
  country: string;
  website: string | null;
  language: string;
  description_md: string;
  description_html: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface StatementTable {
  id: Generated<number>;
  slug: string;
  title: string;
  body_md: string;
  body_html: string;
  summary_md: string | null;
  summary_html: string | null;
  language: string;
  status: string;
  published_at: Timestamp;
  translation_of_id: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Optimistic lock: every save must name the version it started from. */
  version: Generated<number>;
  created_by: number | null;
  /** For a translation: a hash of the original's text when the translation last caught up with it. */
  translation_source_hash: string | null;
}

export interface StatementRevisionTable {
  id: Generated<number>;
  statement_id: number;
  number: number;
  title: string;
  slug: string;
  body_md: string;
  summary_md: string | null;
  language: string;
  published_at: Timestamp;
  /** JSON array of organisation ids in signing order. */
  signatory_ids: string;
  status: string;
  author_user_id: number | null;
  author_label: string;
  created_at: Timestamp;
}

export interface SlugRedirectTable {
  old_slug: string;
  statement_id: number;
  created_at: Timestamp;
}

export interface StatementSignatoryTable {
  statement_id: number;
  organisation_id: number;
  position: number;
}

export interface PageTable {
  id: Generated<number>;
  slug: string;
  title: string;
  body_md: string;
  body_html: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UserTable {
  id: Generated<number>;
  email: string;
  name: string;
  role: string;
  password_hash: string;
  totp_secret: string | null;
  recovery_codes: string | null;
  disabled_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UserOrganisationTable {
  user_id: number;
  organisation_id: number;
}

export interface SessionTable {
  /** SHA-256 of the cookie token: the token itself is never stored. */
  id: string;
  user_id: number;
  second_factor_pending: number;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
}

export interface LoginThrottleTable {
  key: string;
  failures: number;
  window_started_at: Timestamp;
  locked_until: Timestamp | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: Timestamp;
  actor_user_id: number | null;
  actor_label: string;
  action: string;
  subject_type: string | null;
  subject_id: number | null;
  detail: string;
  ip: string | null;
}

export interface MediaTable {
  id: Generated<number>;
  /** Random file-name stem shared by the original and its variants. */
  key: string;
  original_name: string;
  mime_type: string;
  width: number;
  height: number;
  bytes: number;
  alt: string;
  /** JSON list of the resized files: width, format, file name, bytes. */
  variants: string;
  uploaded_by: number | null;
  created_at: Timestamp;
}

/** One fixed window of a rate limit: how many hits a key made since the window began. */
export interface RateLimitWindowTable {
  key: string;
  window_started_ms: number;
  hits: number;
}

export interface AccessTokenTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  /** 'read' or 'write'. */
  scope: string;
  /** SHA-256 of the token: the token itself is shown once and never stored. */
  token_hash: string;
  /** The token's first characters, so its owner can tell tokens apart. */
  token_hint: string;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface WebhookTable {
  id: Generated<number>;
  url: string;
  description: string;
  /** JSON array of the event names the receiver wants. */
  events: string;
  active: number;
  /** The signing secret, sealed with the server key: never stored in plain text. */
  secret_sealed: string;
  created_by: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The outbox: one row per event, written in the transaction that made the change. */
export interface WebhookEventTable {
  /** A UUID, sent as the body's `id` so receivers can ignore repeats. */
  id: string;
  event: string;
  statement_id: number | null;
  /** JSON snapshot of the subject as it was when the event happened. */
  payload: string;
  occurred_at: Timestamp;
}

export interface WebhookDeliveryTable {
  id: string;
  webhook_id: number;
  event_id: string;
  /** pending, delivered or failed. */
  status: string;
  attempts: number;
  next_attempt_at: Timestamp;
  /** Which worker holds the delivery, and until when: another may take it only after the lease ends. */
  lease_token: string | null;
  lease_until: Timestamp | null;
  last_attempt_at: Timestamp | null;
  last_status_code: number | null;
  last_error: string | null;
  completed_at: Timestamp | null;
  created_at: Timestamp;
}

export interface Database {
  settings: SettingTable;
  organisations: OrganisationTable;
  statements: StatementTable;
  statement_signatories: StatementSignatoryTable;
  pages: PageTable;
  users: UserTable;
  user_organisations: UserOrganisationTable;
  sessions: SessionTable;
  login_throttle: LoginThrottleTable;
  audit_log: AuditLogTable;
  statement_revisions: StatementRevisionTable;
  slug_redirects: SlugRedirectTable;
  media: MediaTable;
  webhooks: WebhookTable;
  webhook_events: WebhookEventTable;
  webhook_deliveries: WebhookDeliveryTable;
  access_tokens: AccessTokenTable;
  rate_limit_windows: RateLimitWindowTable;
}

/** Published statements per language in a bucket: 'all', 'o:<organisation id>', 'm:<UTC month>', 'd:<UTC day>'. */
export interface PublishedCountTable {
  /** Compared byte by byte: C collation on PostgreSQL, as SQLite compares text. */
  bucket: string;
  language: string;
  published: number;
  /** Published statements in this language that are no translation. */
  originals: number;
  /** Published originals in another language with a published translation into this one. */
  translated: number;
}

/** What one published statement adds to published_counts, so a recount can take it away again. */
export interface CountedStatementTable {
  statement_id: number;
  language: string;
  /** 1 for an original, 0 for a translation. */
  original: number;
  /** UTC month of published_at, YYYY-MM. */
  month: string;
  /** UTC day of published_at, YYYY-MM-DD. */
  day: string;
}

export interface CountedSignatureTable {
  statement_id: number;
  organisation_id: number;
}

/** The languages a counted original has a published translation into. */
export interface CountedTranslationTable {
  statement_id: number;
  language: string;
}

/**
 * Migration 0013's tables, kept by triggers from statements and signatories. Not in `Database`:
 * the snapshot code gives every table there a role, copied or emptied, and these are neither.
 * Read them through `db.withTables<PublishedCountTables>()` (a type alias, as withTables wants).
 */
export type PublishedCountTables = {
  published_counts: PublishedCountTable;
  counted_statements: CountedStatementTable;
  counted_signatures: CountedSignatureTable;
  counted_translations: CountedTranslationTable;
};

/** A connection or an open transaction: repositories take either. */
export type Queryable = Kysely<Database> | Transaction<Database>;

export function toDate(value: Timestamp): Date {
  return value instanceof Date ? value : new Date(value);
}
