import type { Logger } from 'pino';
import type { DatabaseHandle } from '../db/connect.ts';
import type { Queryable } from '../db/database.ts';
import {
  type ContentChange,
  findStatementSurroundings,
  latestAuditId,
  listContentChanges,
} from './content-changes.ts';
import {
  FEED_KEY,
  LISTING_KEY,
  organisationKey,
  PAGES_KEY,
  pageKey,
  SITE_KEY,
  SITEMAP_KEY,
  statementKey,
} from './surrogate-keys.ts';

export const PURGE_USER_AGENT = 'Communique-Purge/1';
/** A transaction may take its audit id before another that commits first: look this far back too. */
const LOOK_BACK_MS = 60_000;
const CHANGES_PER_SCAN = 5000;
const DEFAULT_RETRY_DELAYS_MS = [2_000, 10_000];
const DEFAULT_TIMEOUT_MS = 10_000;

// Statement actions that never change the public site: a new draft or translation draft.
const UNPUBLISHED_ACTIONS = new Set(['statement.created', 'statement.translation_created']);
// Saved content: public only if the statement is published now (a later transition covers the rest).
const CONTENT_ACTIONS = new Set([
  'statement.updated',
  'statement.revision_restored',
  'statement.translation_updated',
]);

/** The surrogate keys of the responses one change can have made stale; empty when none. */
export async function purgeKeysFor(db: Queryable, change: ContentChange): Promise<string[]> {
  const [kind] = change.action.split('.');
  const id = change.subjectId;
  if (kind === 'settings') return [SITE_KEY];
  if (id === null) return [];
  if (kind === 'organisation') return [organisationKey(id), LISTING_KEY, FEED_KEY, SITEMAP_KEY];
  if (kind === 'page') return [pageKey(id), PAGES_KEY, SITEMAP_KEY];
  if (kind !== 'statement' || UNPUBLISHED_ACTIONS.has(change.action)) return [];
  const statementWide = [statementKey(id), LISTING_KEY, FEED_KEY, SITEMAP_KEY];
  const surroundings = await findStatementSurroundings(db, id);
  // A deleted statement: its neighbours and translations keep a dead link until their max-age.
  if (surroundings === undefined) return statementWide;
  const wasOrIsPublished = CONTENT_ACTIONS.has(change.action)
    ? surroundings.status === 'published'
    : change.detail.from === 'published' || change.detail.to === 'published';
  if (!wasOrIsPublished) return [];
  return [
    ...statementWide,
    ...surroundings.versionIds.map(statementKey),
    ...surroundings.neighbourIds.map(statementKey),
    ...surroundings.organisationIds.map(organisationKey),
  ];
}

/** What a purge request carries; `site` alone stands for everything. */
export function purgeBody(keys: Iterable<string>): { surrogate_keys: string[] } {
  const unique = [...new Set(keys)];
  return { surrogate_keys: unique.includes(SITE_KEY) ? [SITE_KEY] : unique };
}

export interface CdnPurgerOptions {
  handle: DatabaseHandle;
  logger: Logger;
  url: string;
  token: string | null;
  /** Waits before the second and later tries. */
  retryDelaysMs?: number[];
  timeoutMs?: number;
}

/**
 * Tells a CDN what to forget after content changes commit. The audit log is the one record every
 * content change writes in its own transaction (back office, Admin API, scheduler), so the purger
 * reads what changed there; writers only say that something did (contentChanged). Purges run in
 * the background and never hold up the change's response.
 */
export class CdnPurger {
  readonly #options: CdnPurgerOptions;
  readonly #shutdown = new AbortController();
  readonly #sending = new Set<Promise<void>>();
  /** Audit ids already purged, with when they happened, forgotten after the look-back. */
  readonly #handled = new Map<number, number>();
  #cursor = 0;
  #scanning: Promise<void> = Promise.resolve();

  constructor(options: CdnPurgerOptions) {
    this.#options = options;
  }

  /** Starts after the newest recorded change: earlier ones were the previous run's to purge. */
  async start(): Promise<void> {
    const { db } = this.#options.handle;
    this.#cursor = await latestAuditId(db);
    const recent = await listContentChanges(
      db,
      this.#cursor,
      new Date(Date.now() - LOOK_BACK_MS),
      CHANGES_PER_SCAN,
    );
    for (const change of recent) this.#handled.set(change.auditId, change.at.getTime());
  }

  /** Reads what has changed and purges it, in the background; call after a change commits. */
  changed(): void {
    if (this.#shutdown.signal.aborted) return;
    this.#scanning = this.#scanning.then(() =>
      this.#scan().catch((error: unknown) => {
        this.#options.logger.warn({ err: error }, 'CDN purge: could not read what changed');
      }),
    );
  }

  /** Waits for scans and purge requests in progress, retries included. */
  async idle(): Promise<void> {
    await this.#scanning;
    while (this.#sending.size > 0) await Promise.all(this.#sending);
  }

  /** Abandons purges in progress (a CDN's max-age bounds what they would have fixed). */
  async stop(): Promise<void> {
    this.#shutdown.abort();
    await this.idle();
  }

  async #scan(): Promise<void> {
    const { db } = this.#options.handle;
    const now = Date.now();
    for (const [id, at] of this.#handled) if (at < now - 2 * LOOK_BACK_MS) this.#handled.delete(id);
    const changes = await listContentChanges(
      db,
      this.#cursor,
      new Date(now - LOOK_BACK_MS),
      CHANGES_PER_SCAN,
    );
    const keys: string[] = [];
    for (const change of changes) {
      if (this.#handled.has(change.auditId)) continue;
      keys.push(...(await purgeKeysFor(db, change)));
      this.#handled.set(change.auditId, change.at.getTime());
      this.#cursor = Math.max(this.#cursor, change.auditId);
    }
    if (keys.length === 0) return;
    const sending = this.#send(purgeBody(keys)).finally(() => this.#sending.delete(sending));
    this.#sending.add(sending);
  }

  async #send(body: { surrogate_keys: string[] }): Promise<void> {
    const { url, token, logger } = this.#options;
    const delays = this.#options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    const timeoutMs = this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const payload = JSON.stringify(body);
    for (let attempt = 0; attempt <= delays.length; attempt += 1) {
      if (attempt > 0) {
        const waited = await this.#wait(delays[attempt - 1] ?? 0);
        if (!waited) return;
      }
      let problem: string;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': PURGE_USER_AGENT,
            ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          },
          body: payload,
          redirect: 'manual',
          signal: AbortSignal.any([this.#shutdown.signal, AbortSignal.timeout(timeoutMs)]),
        });
        await response.body?.cancel().catch(() => {});
        if (response.ok) {
          logger.debug(`CDN purge sent: ${body.surrogate_keys.join(' ')}`);
          return;
        }
        problem = `answered ${response.status}`;
      } catch (error) {
        if (this.#shutdown.signal.aborted) return;
        problem =
          error instanceof Error && error.name === 'TimeoutError'
            ? `gave no answer within ${timeoutMs / 1000} s`
            : `could not be reached (${describe(error)})`;
      }
      const last = attempt === delays.length;
      const message = `CDN purge of ${body.surrogate_keys.length} keys: ${new URL(url).host} ${problem}`;
      if (last) logger.error(`${message}; giving up (${body.surrogate_keys.join(' ')})`);
      else logger.warn(`${message}; retrying in ${(delays[attempt] ?? 0) / 1000} s`);
    }
  }

  /** Resolves true after `ms`, or false at once when stopping. */
  #wait(ms: number): Promise<boolean> {
    const signal = this.#shutdown.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function describe(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as unknown) : undefined;
  if (cause instanceof Error) return (cause as { code?: string }).code ?? cause.message;
  return error instanceof Error ? error.message : String(error);
}
