import autocannon from 'autocannon';
import { processCpuMs } from './processes.ts';

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
  /** Server CPU time per answered request; steadier than req/s on a shared machine. */
  serverCpuUsPerRequest: number | undefined;
}

function cannon(url: string, connections: number, duration: number) {
  return autocannon({ url, connections, duration, pipelining: 1 });
}

/** Fills the page cache with one request, runs a short unrecorded load for the JIT, then the measured one. */
export async function measure(
  label: string,
  url: string,
  settings: LoadSettings,
  serverPid: number | undefined,
): Promise<LoadResult> {
  const first = await fetch(url);
  await first.arrayBuffer();
  if (first.status !== 200) throw new Error(`${label}: GET ${url} answered ${first.status}`);
  if (settings.warmupSeconds > 0) await cannon(url, settings.connections, settings.warmupSeconds);
  const cpuBefore = processCpuMs(serverPid);
  const result = await cannon(url, settings.connections, settings.durationSeconds);
  const cpuAfter = processCpuMs(serverPid);
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
  };
}
