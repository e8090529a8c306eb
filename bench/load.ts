import autocannon from 'autocannon';
import { childPids, processCpuMs, processTreeCpuMs, processTreeMinorFaults } from './processes.ts';

export interface LoadSettings {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
}

export interface LoadResult {
  label: string;
  url: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Connection errors, timeouts and non-2xx answers: any of these makes the figures suspect. */
  failures: number;
  /** Server CPU time (all its processes) per answered request; steadier than req/s on a shared machine. */
  serverCpuUsPerRequest: number | undefined;
  /** Server minor page faults per answered request: near 0 unless memory is refaulted per request. */
  serverFaultsPerRequest: number | undefined;
}

function cannon(url: string, connections: number, duration: number) {
  return autocannon({ url, connections, duration, pipelining: 1 });
}

// A worker that used less CPU than this during the warm-up was not serving yet.
const SERVING_WORKER_CPU_MS = 50;
const WARMUP_ATTEMPTS = 5;

/**
 * Fills the page cache with one request, runs a short unrecorded load for the JIT (again, while
 * a cluster has a worker that served none of it), then the measured one.
 */
export async function measure(
  label: string,
  url: string,
  settings: LoadSettings,
  serverPid: number | undefined,
  workers = 1,
): Promise<LoadResult> {
  const first = await fetch(url);
  await first.arrayBuffer();
  if (first.status !== 200) throw new Error(`${label}: GET ${url} answered ${first.status}`);
  const warmupSeconds = Math.max(settings.warmupSeconds, workers > 1 ? 1 : 0);
  for (let attempt = 1; warmupSeconds > 0; attempt += 1) {
    const pids = workers > 1 && serverPid !== undefined ? childPids(serverPid) : [];
    const before = pids.map((pid) => processCpuMs(pid) ?? 0);
    await cannon(url, settings.connections, warmupSeconds);
    const idle = pids.filter(
      (pid, index) => (processCpuMs(pid) ?? 0) - (before[index] ?? 0) < SERVING_WORKER_CPU_MS,
    );
    if (workers <= 1 || (pids.length >= workers && idle.length === 0)) break;
    if (attempt === WARMUP_ATTEMPTS)
      throw new Error(`${label}: ${workers} workers were expected to serve, not all did`);
  }
  const cpuBefore = processTreeCpuMs(serverPid);
  const faultsBefore = processTreeMinorFaults(serverPid);
  const result = await cannon(url, settings.connections, settings.durationSeconds);
  const cpuAfter = processTreeCpuMs(serverPid);
  const faultsAfter = processTreeMinorFaults(serverPid);
  const requests = result.requests.total;
  return {
    label,
    url,
    requestsPerSecond: result.requests.mean,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests,
    failures: result.errors + result.timeouts + result.non2xx,
    serverCpuUsPerRequest:
      cpuBefore === undefined || cpuAfter === undefined || requests === 0
        ? undefined
        : ((cpuAfter - cpuBefore) * 1000) / requests,
    serverFaultsPerRequest:
      faultsBefore === undefined || faultsAfter === undefined || requests === 0
        ? undefined
        : (faultsAfter - faultsBefore) / requests,
  };
}
