import type { Logger } from 'pino';
import type { WebhookDeliveryConfig } from '../config.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import {
  type ClaimedDelivery,
  claimDueDeliveries,
  type DeliveryOutcome,
  nextDueAt,
  pruneFinishedDeliveries,
  recordDeliveryOutcome,
  releaseDelivery,
} from './delivery-repository.ts';
import { retryDelayMs } from './retry-schedule.ts';
import { SIGNATURE_HEADER, signatureHeader } from './signature.ts';
import { eventBody } from './webhook-events.ts';
import { type KeyConfig, openWebhookSecret } from './webhook-secret.ts';

export const USER_AGENT = 'Communique-Webhooks/1';
export const DELIVERY_HEADER = 'X-Communique-Delivery';
export const EVENT_HEADER = 'X-Communique-Event';

/** Requests in flight at once per process; each webhook has at most one, so one slow receiver holds one slot. */
const CONCURRENCY = 8;
/** The longest pause between looks at the outbox, for events written by other processes. */
const POLL_MS = 5_000;
/** The pause when something is due but could not be taken (its webhook is busy, or another process won it). */
const BUSY_POLL_MS = 1_000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;
/** Finished deliveries are kept this long for the delivery log. */
const KEEP_FINISHED_MS = 30 * 24 * 60 * 60 * 1000;

export interface DeliveryWorkerOptions {
  handle: DatabaseHandle;
  logger: Logger;
  keys: KeyConfig;
  baseUrl: string;
  delivery: WebhookDeliveryConfig;
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError')
    return `No answer within ${timeoutMs / 1000} s.`;
  const cause = error instanceof Error ? (error.cause as unknown) : undefined;
  const reason =
    cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return `Could not reach the receiver: ${reason}`;
}

/**
 * Sends the outbox's deliveries: claims due ones with a lease, POSTs each signed JSON body with
 * its own timeout, and records the answer, retrying with growing waits. All state is in the
 * database, so a restart (or another process) carries on where this one stopped.
 */
export class WebhookDeliveryWorker {
  readonly #options: DeliveryWorkerOptions;
  readonly #inFlight = new Map<string, { webhookId: number; done: Promise<void> }>();
  readonly #shutdown = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #pumping: Promise<void> | undefined;
  #pumpAgain = false;
  #lastPruneAt = 0;

  constructor(options: DeliveryWorkerOptions) {
    this.#options = options;
  }

  start(): void {
    this.wake();
  }

  /** Looks at the outbox now, e.g. right after a change committed events in this process. */
  wake(): void {
    if (this.#shutdown.signal.aborted) return;
    this.#pump().catch(() => {});
  }

  /** Sends everything due now and waits for the answers (retries that fall due later wait). */
  async runOnce(): Promise<void> {
    await this.#pump();
    while (this.#inFlight.size > 0) {
      await Promise.allSettled([...this.#inFlight.values()].map((entry) => entry.done));
      await this.#pump();
    }
  }

  /** Stops taking deliveries and abandons requests in flight; they are given back untried. */
  async stop(): Promise<void> {
    this.#shutdown.abort();
    clearTimeout(this.#timer);
    await this.#pumping;
    await Promise.allSettled([...this.#inFlight.values()].map((entry) => entry.done));
  }

  #pump(): Promise<void> {
    if (this.#pumping !== undefined) {
      this.#pumpAgain = true;
      return this.#pumping;
    }
    this.#pumping = (async () => {
      try {
        // A wake during any step (an answer recorded, an event queued) gets a whole fresh pass.
        do {
          this.#pumpAgain = false;
          await this.#claimAndSend();
          await this.#prune();
          await this.#scheduleNextLook();
        } while (this.#pumpAgain && !this.#shutdown.signal.aborted);
      } catch (error) {
        this.#options.logger.error({ err: error }, 'Webhook delivery pass failed; will retry');
        this.#schedule(POLL_MS);
      } finally {
        this.#pumping = undefined;
      }
    })();
    return this.#pumping;
  }

  async #claimAndSend(): Promise<void> {
    if (this.#shutdown.signal.aborted) return;
    const busy = new Set([...this.#inFlight.values()].map((entry) => entry.webhookId));
    const claimed = await claimDueDeliveries(this.#options.handle.db, {
      now: new Date(),
      limit: CONCURRENCY - this.#inFlight.size,
      // Longer than any request may take, so a live worker never loses its lease mid-request.
      leaseMs: this.#options.delivery.timeoutMs + 60_000,
      busy,
    });
    for (const delivery of claimed) {
      const done = this.#deliver(delivery)
        .catch((error: unknown) => {
          this.#options.logger.error(
            { err: error, delivery: delivery.id },
            'Recording a webhook delivery failed; its lease will expire and it will be sent again',
          );
        })
        .finally(() => {
          this.#inFlight.delete(delivery.id);
          this.wake();
        });
      this.#inFlight.set(delivery.id, { webhookId: delivery.webhookId, done });
    }
  }

  async #deliver(delivery: ClaimedDelivery): Promise<void> {
    const { handle, keys, baseUrl, delivery: settings, logger } = this.#options;
    let outcome: DeliveryOutcome;
    const secret = openWebhookSecret(keys, delivery.webhookId, delivery.secretSealed);
    if (secret === null) {
      outcome = {
        ok: false,
        statusCode: null,
        error:
          'The signing secret cannot be decrypted with this server’s key (was COMMUNIQUE_SECRET changed?). Rotate the secret.',
      };
    } else {
      const body = eventBody(delivery.event, baseUrl);
      try {
        const response = await fetch(delivery.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': USER_AGENT,
            [DELIVERY_HEADER]: delivery.id,
            [EVENT_HEADER]: delivery.event.event,
            [SIGNATURE_HEADER]: signatureHeader(secret, body, new Date()),
          },
          body,
          // A redirect could lead the signed body somewhere nobody configured.
          redirect: 'manual',
          signal: AbortSignal.any([this.#shutdown.signal, AbortSignal.timeout(settings.timeoutMs)]),
        });
        await response.body?.cancel().catch(() => {});
        outcome = response.ok
          ? { ok: true, statusCode: response.status }
          : {
              ok: false,
              statusCode: response.status,
              error:
                response.status >= 300 && response.status < 400
                  ? `The receiver answered ${response.status} (a redirect, which is not followed).`
                  : `The receiver answered ${response.status}.`,
            };
      } catch (error) {
        if (this.#shutdown.signal.aborted) {
          await releaseDelivery(handle.db, delivery, new Date());
          return;
        }
        outcome = {
          ok: false,
          statusCode: null,
          error: describeFailure(error, settings.timeoutMs),
        };
      }
    }
    const now = new Date();
    const giveUp = !outcome.ok && delivery.attempt >= settings.maxAttempts;
    await recordDeliveryOutcome(
      handle.db,
      delivery,
      outcome,
      giveUp
        ? { giveUp: true }
        : {
            retryAt: new Date(now.getTime() + retryDelayMs(delivery.attempt, settings.retryBaseMs)),
          },
      now,
    );
    if (giveUp)
      logger.warn(
        { delivery: delivery.id, webhook: delivery.webhookId, attempts: delivery.attempt },
        `Webhook delivery given up after ${delivery.attempt} attempts: ${outcome.ok ? '' : outcome.error}`,
      );
  }

  async #prune(): Promise<void> {
    const now = Date.now();
    if (now - this.#lastPruneAt < PRUNE_EVERY_MS) return;
    this.#lastPruneAt = now;
    await pruneFinishedDeliveries(this.#options.handle.db, new Date(now - KEEP_FINISHED_MS));
  }

  async #scheduleNextLook(): Promise<void> {
    if (this.#shutdown.signal.aborted) return;
    const due = await nextDueAt(this.#options.handle.db, new Date());
    const wait = due === null ? POLL_MS : due.getTime() - Date.now();
    this.#schedule(wait > 0 ? Math.min(wait, POLL_MS) : BUSY_POLL_MS);
  }

  #schedule(ms: number): void {
    if (this.#shutdown.signal.aborted) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.wake(), ms);
    this.#timer.unref();
  }
}
