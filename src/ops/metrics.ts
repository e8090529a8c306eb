import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { DatabaseHandle } from '../db/connect.ts';
import type { PageCache } from '../site/page-cache.ts';
import { countQueueDepth } from './queue-depth.ts';

export interface MetricsDependencies {
  handle: DatabaseHandle;
  cache: PageCache;
  logger: Logger;
  /** Bearer token that opens /metrics from anywhere; null opens it to loopback addresses only. */
  token: string | null;
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Requests no route matched share one label, so scanners cannot grow the series. */
export const UNMATCHED_ROUTE = 'unmatched';
const QUEUE_COUNT_TIMEOUT_MS = 2000;

/** Loopback: 127.0.0.0/8, ::1 and IPv4-mapped 127.x. */
function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(address);
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (match?.[1] === undefined) return false;
  const given = Buffer.from(match[1]);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * May this request read /metrics? With a token, only with that bearer token. Without, only from
 * loopback, and not through a proxy: a proxy on the same host connects from loopback too.
 */
export function metricsAllowed(request: FastifyRequest, token: string | null): boolean {
  if (token !== null) return tokenMatches(request.headers.authorization, token);
  const headers = request.headers;
  const proxied =
    headers['x-forwarded-for'] !== undefined ||
    headers.forwarded !== undefined ||
    headers['x-real-ip'] !== undefined;
  return !proxied && isLoopback(request.socket.remoteAddress);
}

/** One Registry per app, so several apps in one process (the tests) keep their own numbers. */
export class AppMetrics {
  readonly registry = new Registry();
  readonly #requestDuration: Histogram<'method' | 'route' | 'status_class'>;

  constructor(deps: Omit<MetricsDependencies, 'token'>) {
    const { handle, cache, logger } = deps;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#requestDuration = new Histogram({
      name: 'communique_http_request_duration_seconds',
      help: 'Time to answer HTTP requests, by method, route pattern and status class.',
      labelNames: ['method', 'route', 'status_class'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    new Counter({
      name: 'communique_page_cache_hits_total',
      help: 'Rendered pages served from the in-memory page cache.',
      registers,
      collect() {
        this.reset();
        this.inc(cache.stats().hits);
      },
    });
    new Counter({
      name: 'communique_page_cache_misses_total',
      help: 'Pages looked up in the page cache and rendered instead.',
      registers,
      collect() {
        this.reset();
        this.inc(cache.stats().misses);
      },
    });
    new Gauge({
      name: 'communique_page_cache_hit_ratio',
      help: 'Page cache hits over lookups since start (0 before the first lookup).',
      registers,
      collect() {
        const { hits, misses } = cache.stats();
        this.set(hits + misses === 0 ? 0 : hits / (hits + misses));
      },
    });
    new Gauge({
      name: 'communique_page_cache_entries',
      help: 'Rendered pages in the page cache now.',
      registers,
      collect() {
        this.set(cache.stats().entries);
      },
    });
    new Gauge({
      name: 'communique_page_cache_capacity',
      help: 'The most pages the page cache keeps (PAGE_CACHE_ENTRIES).',
      registers,
      collect() {
        this.set(cache.stats().capacity);
      },
    });
    const pool = (
      name: string,
      help: string,
      read: (stats: ReturnType<typeof handle.poolStats>) => number,
    ) =>
      new Gauge({
        name: `communique_db_pool_${name}`,
        help,
        labelNames: ['engine'],
        registers,
        collect() {
          this.set({ engine: handle.engine }, read(handle.poolStats()));
        },
      });
    pool('connections', 'Open database connections (SQLite: one).', (stats) => stats.total);
    pool('idle_connections', 'Open database connections not in use.', (stats) => stats.idle);
    pool('waiting_requests', 'Queries waiting for a free connection.', (stats) => stats.waiting);
    pool('max_connections', 'The most connections the pool opens.', (stats) => stats.max);
    const queue = new Gauge({
      name: 'communique_queue_depth',
      help: 'Work waiting in the database: webhook deliveries (pending, retrying) and scheduled statements.',
      labelNames: ['queue'],
      registers,
      async collect() {
        try {
          const depth = await withTimeout(countQueueDepth(handle.db), QUEUE_COUNT_TIMEOUT_MS);
          this.set({ queue: 'webhook_pending' }, depth.webhookPending);
          this.set({ queue: 'webhook_retrying' }, depth.webhookRetrying);
          this.set({ queue: 'scheduled_statements' }, depth.scheduledStatements);
        } catch (error) {
          // No number is better than an old one; readiness reports the database itself.
          queue.reset();
          logger.debug({ err: error }, 'Metrics: could not count queued work');
        }
      },
    });
  }

  /** Records one answered request under its route pattern, never its raw URL. */
  observeRequest(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE);
    this.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  }

  /** One answered request, also for those answered before routing (src/site/cached-page-fast-path.ts). */
  observe(method: string, route: string, statusCode: number, seconds: number): void {
    this.#requestDuration.observe(
      {
        method: KNOWN_METHODS.has(method) ? method : 'OTHER',
        route,
        status_class: `${Math.floor(statusCode / 100)}xx`,
      },
      seconds,
    );
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Times every request, and serves `/metrics` to those allowed (404 to everyone else). */
export function registerMetrics(
  server: FastifyInstance,
  metrics: AppMetrics,
  token: string | null,
): void {
  server.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request, reply);
    done();
  });
  server.get('/metrics', { config: { probe: true } }, async (request, reply) => {
    if (!metricsAllowed(request, token)) return reply.callNotFound();
    const text = await metrics.registry.metrics();
    return reply.header('cache-control', 'no-store').type(metrics.registry.contentType).send(text);
  });
}
