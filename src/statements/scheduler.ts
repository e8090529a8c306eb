import type { Logger } from 'pino';
import type { DatabaseHandle } from '../db/connect.ts';
import { publishDueStatements } from './statement-service.ts';

/** Publishes scheduled statements when their time comes, and at start for any missed while stopped. */
export class PublishingScheduler {
  readonly #handle: DatabaseHandle;
  readonly #logger: Logger;
  readonly #onPublished: () => Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(handle: DatabaseHandle, logger: Logger, onPublished: () => Promise<void>) {
    this.#handle = handle;
    this.#logger = logger;
    this.#onPublished = onPublished;
  }

  async start(intervalMs: number): Promise<void> {
    await this.runOnce();
    this.#timer = setInterval(() => {
      this.runOnce().catch(() => {});
    }, intervalMs);
    this.#timer.unref();
  }

  /** One pass; overlapping calls share the pass in progress. */
  runOnce(): Promise<void> {
    this.#running ??= (async () => {
      try {
        const published = await publishDueStatements(this.#handle);
        if (published > 0) {
          this.#logger.info(
            `Published ${published} scheduled statement${published === 1 ? '' : 's'}`,
          );
          await this.#onPublished();
        }
      } catch (error) {
        this.#logger.error({ err: error }, 'Scheduled publishing failed; will retry');
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
