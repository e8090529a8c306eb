import pg from 'pg';
import type { Logger } from 'pino';
import { CONTENT_CHANNEL } from '../settings/index.ts';

/** What the notifications drive: the watcher that clears caches and polls as a safety net. */
export interface WatchedContent {
  /** A committed write announced this content version. */
  announced(version: number): Promise<boolean>;
  /** Reads the stored version now. */
  check(): Promise<boolean>;
  pollEvery(intervalMs: number): void;
}

export interface ContentNotificationOptions {
  url: string;
  logger: Logger;
  watcher: WatchedContent;
  /** Polling while notifications are not arriving. */
  pollMs: number;
  /** Polling while listening: only a safety net. */
  listeningPollMs: number;
}

/** Set on the listening connection so operators (and tests) can tell it apart in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'communique-content-listener';
const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 5000, 10_000];
// A half-open TCP connection would otherwise look healthy for minutes.
const PING_INTERVAL_MS = 15_000;
const QUERY_TIMEOUT_MS = 5000;

/**
 * Listens on one dedicated PostgreSQL connection (not from the pool) for content changes committed
 * by any process, so every process empties its page cache within moments of a publish.
 */
export class ContentNotifications {
  readonly #options: ContentNotificationOptions;
  #client: pg.Client | undefined;
  #failures = 0;
  #wasListening = false;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: ContentNotificationOptions) {
    this.#options = options;
  }

  get listening(): boolean {
    return this.#client !== undefined;
  }

  /** Connects once; if that fails, polling carries on and reconnection continues in the background. */
  async start(): Promise<void> {
    await this.#connect();
    this.#pingTimer = setInterval(() => {
      this.#client?.query('select 1').catch(() => {});
    }, PING_INTERVAL_MS);
    this.#pingTimer.unref();
  }

  async #connect(): Promise<void> {
    const { url, logger, watcher } = this.#options;
    const client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: QUERY_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      keepAlive: true,
      application_name: LISTENER_APPLICATION_NAME,
    });
    let gone = false;
    const lose = (error?: unknown) => {
      if (gone) return;
      gone = true;
      if (this.#client === client) this.#client = undefined;
      client.end().catch(() => {});
      this.#reconnectLater(error);
    };
    client.on('error', lose);
    client.on('end', () => lose());
    client.on('notification', (message) => {
      if (message.channel !== CONTENT_CHANNEL) return;
      const version = Number(message.payload);
      const seen = Number.isSafeInteger(version) ? watcher.announced(version) : watcher.check();
      seen.catch(() => {});
    });
    try {
      await client.connect();
      await client.query(`listen ${CONTENT_CHANNEL}`);
    } catch (error) {
      lose(error);
      return;
    }
    if (this.#stopped || gone) {
      gone = true;
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    if (this.#failures > 0 && this.#wasListening)
      logger.info('Listening for content changes on PostgreSQL again');
    this.#failures = 0;
    this.#wasListening = true;
    watcher.pollEvery(this.#options.listeningPollMs);
    // Changes committed while nobody was listening sent notifications no one heard.
    await watcher.check().catch(() => {});
  }

  #reconnectLater(error: unknown): void {
    if (this.#stopped) return;
    const { logger, watcher, pollMs } = this.#options;
    watcher.pollEvery(pollMs);
    const delay =
      RECONNECT_DELAYS_MS[Math.min(this.#failures, RECONNECT_DELAYS_MS.length - 1)] ?? 0;
    this.#failures += 1;
    const reason = error instanceof Error ? error.message : 'connection closed';
    const line = `No PostgreSQL notifications for content changes (${reason}); checking every ${pollMs / 1000} s meanwhile, reconnecting in ${delay / 1000} s`;
    // The first failure is worth a warning; a long outage should not flood the log.
    if (this.#failures === 1) logger.warn(line);
    else logger.debug(line);
    this.#reconnectTimer = setTimeout(() => {
      this.#connect().catch(() => {});
    }, delay);
    this.#reconnectTimer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#pingTimer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }
}
