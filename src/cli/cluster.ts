import cluster, { type Address } from 'node:cluster';
import { InvalidArgumentError } from 'commander';
import type { Logger } from 'pino';

export const MAX_WORKERS = 64;
/** How long open requests may take to finish after SIGTERM before a process exits anyway. */
export const SHUTDOWN_GRACE_MS = 30_000;
// A worker that dies sooner than this after starting counts towards the restart backoff.
const HEALTHY_UPTIME_MS = 10_000;
const LONGEST_RESTART_DELAY_MS = 30_000;

/** Parses `--workers`: a whole number from 1 to 64. */
export function parseWorkerCount(raw: string): number {
  const value = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || value < 1 || value > MAX_WORKERS)
    throw new InvalidArgumentError(`It must be a whole number from 1 to ${MAX_WORKERS}.`);
  return value;
}

/** The wait before replacing a worker: none at first, doubling from 1 s while workers keep dying young. */
export function restartDelayMs(quickDeaths: number): number {
  if (quickDeaths <= 1) return 0;
  return Math.min(1000 * 2 ** (quickDeaths - 2), LONGEST_RESTART_DELAY_MS);
}

function urlOf(address: Address): string {
  const host = address.address ?? '127.0.0.1';
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port ?? 0}`;
}

export interface ClusterOptions {
  workers: number;
  logger: Logger;
  /** Where the data lives, for the start-up line. */
  description: string;
}

/**
 * The primary process: forks workers that share the listening port, replaces any that die, and on
 * SIGTERM or SIGINT lets each finish its open requests before exiting. It holds no database.
 */
export function runCluster(options: ClusterOptions): void {
  const { logger, workers } = options;
  const startedAt = new Map<number, number>();
  const replaces = new Map<number, number | undefined>();
  const listening = new Set<number>();
  const restartTimers = new Set<NodeJS.Timeout>();
  let allUp = false;
  let stopping = false;
  let exitCode = 0;
  let quickDeaths = 0;
  let backstop: NodeJS.Timeout | undefined;

  const fork = (replacedPid?: number) => {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
    replaces.set(worker.id, replacedPid);
  };
  const living = () =>
    Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined);

  const finish = () => {
    clearTimeout(backstop);
    logger.info('Stopped');
    process.exit(exitCode);
  };

  const stopAll = (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    for (const timer of restartTimers) clearTimeout(timer);
    const remaining = living();
    logger.info(
      `${reason}: stopping ${remaining.length} worker${remaining.length === 1 ? '' : 's'} after their open requests`,
    );
    if (remaining.length === 0) finish();
    for (const worker of remaining) worker.process.kill('SIGTERM');
    // Workers give up on open requests after the grace period; this only catches a stuck one.
    backstop = setTimeout(() => {
      logger.error('Workers did not stop in time; killing them');
      for (const worker of living()) worker.process.kill('SIGKILL');
    }, SHUTDOWN_GRACE_MS + 5000);
  };

  cluster.on('listening', (worker, address) => {
    if (listening.has(worker.id)) return;
    listening.add(worker.id);
    const pid = worker.process.pid;
    if (allUp) {
      const replaced = replaces.get(worker.id);
      logger.info(
        `Worker ${pid} is serving${replaced === undefined ? '' : ` in place of worker ${replaced}`}`,
      );
      return;
    }
    if (listening.size < workers) return;
    allUp = true;
    const pids = living().map((each) => each.process.pid);
    logger.info(
      `Communiqué is serving ${urlOf(address)} from ${options.description} with ${workers} workers (pids ${pids.join(', ')})`,
    );
  });

  cluster.on('exit', (worker, code, signal) => {
    const wasServing = listening.delete(worker.id);
    const pid = worker.process.pid;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    if (stopping) {
      // A worker still starting up has no signal handlers yet; our SIGTERM ending it is no failure.
      if (signal === null ? code !== 0 : wasServing) exitCode = 1;
      if (living().length === 0) finish();
      return;
    }
    if (!allUp) {
      logger.error(`Worker ${pid} ${how} before it was serving`);
      stopAll('A worker failed to start', 1);
      return;
    }
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    quickDeaths = lived < HEALTHY_UPTIME_MS ? quickDeaths + 1 : 0;
    const delay = restartDelayMs(quickDeaths);
    logger.warn(
      `Worker ${pid} ${how}; starting another ${delay === 0 ? 'now' : `in ${delay / 1000} s`}`,
    );
    const timer = setTimeout(() => {
      restartTimers.delete(timer);
      if (!stopping) fork(pid);
    }, delay);
    restartTimers.add(timer);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => stopAll(`${signal} received`, 0));
  for (let index = 0; index < workers; index += 1) fork();
}
