import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../db/connect.ts';

export interface HealthDependencies {
  handle: DatabaseHandle;
  /** True once the process has begun to stop: load balancers should send no more requests. */
  shuttingDown(): boolean;
  /** How long the database may take to answer `select 1` before the process counts as not ready. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 2000;

type Check = { status: 'ok'; ms: number } | { status: 'fail'; reason: string };

function errorReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message.slice(0, 200) : 'failed';
}

/** `select 1`, or why it did not answer in time; a closed or unreachable database fails here. */
async function checkDatabase(handle: DatabaseHandle, timeoutMs: number): Promise<Check> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Check>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: 'fail', reason: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  const query = sql`select 1 as ok`.execute(handle.db).then(
    (): Check => ({ status: 'ok', ms: Number((performance.now() - started).toFixed(1)) }),
    (error: unknown): Check => ({ status: 'fail', reason: errorReason(error) }),
  );
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/healthz`: the process answers (liveness; touches nothing). `/healthz/ready`: it can serve
 * (readiness; the database answers and the process is not stopping), else 503 naming what failed.
 * Neither is cached, and both log below info so a probe every few seconds does not flood the log.
 */
export function registerHealthRoutes(server: FastifyInstance, deps: HealthDependencies): void {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const quiet = { config: { probe: true } };

  server.get('/healthz', quiet, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });

  server.get('/healthz/ready', quiet, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    const checks: Record<string, Check> = deps.shuttingDown()
      ? { shutdown: { status: 'fail', reason: 'the server is shutting down' } }
      : { database: await checkDatabase(deps.handle, timeoutMs) };
    const failed = Object.entries(checks)
      .filter(([, check]) => check.status === 'fail')
      .map(([name]) => name);
    if (failed.length > 0) reply.code(503);
    return { status: failed.length === 0 ? 'ready' : 'unavailable', failed, checks };
  });
}
