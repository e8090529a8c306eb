import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A child process the benchmark started and must stop. */
export class Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly exited: Promise<void>;

  constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.process = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
    });
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Asks politely, then insists: SIGTERM, and SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** For process 'exit' handlers, which cannot wait. */
  killNow(): void {
    if (this.running) this.process.kill('SIGKILL');
  }
}

// Linux reports process CPU time in clock ticks, which are 100 per second on every mainstream build.
const CLOCK_TICKS_PER_SECOND = 100;

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state is the 3rd field, so field n is at n - 3.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used so far, or undefined where /proc is unavailable. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  const fields = statFields(pid);
  if (fields === undefined) return undefined;
  // utime is the 14th field and stime the 15th.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : undefined;
}

/** Minor page faults a process has taken so far (10th field of /proc/PID/stat). */
function processMinorFaults(pid: number): number | undefined {
  const faults = Number(statFields(pid)?.[7]);
  return Number.isFinite(faults) ? faults : undefined;
}

/** The processes whose parent is `pid` (a cluster's workers). */
export function childPids(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((candidate) => Number(statFields(candidate)?.[1]) === pid);
}

/** CPU time of a process and its children, so a cluster counts its workers too. */
export function processTreeCpuMs(pid: number | undefined): number | undefined {
  const own = processCpuMs(pid);
  if (pid === undefined || own === undefined) return own;
  return childPids(pid).reduce((sum, child) => sum + (processCpuMs(child) ?? 0), own);
}

/** Minor page faults of a process and its children: a young generation that refaults its pages shows here. */
export function processTreeMinorFaults(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  const own = processMinorFaults(pid);
  if (own === undefined) return undefined;
  return childPids(pid).reduce((sum, child) => sum + (processMinorFaults(child) ?? 0), own);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no TCP port available');
  return address.port;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `url` until it answers 200, failing early if the child dies. */
export async function waitUntilAnswering(child: Child, url: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!child.running) throw new Error(`${child.name} exited before answering ${url}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs / 1000} s`);
}

export interface ServerOptions {
  databaseUrl: string;
  port: number;
  /** More than 1 runs `communique serve --workers N`: a primary and N cluster workers. */
  workers: number;
  /** When set, the server writes a V8 CPU profile into this folder on exit. */
  profileDir?: string | undefined;
}

/** The real server, as `npm start` runs it, in its own process (or a cluster of them). */
export function startProjectServer(options: ServerOptions): Child {
  const nodeFlags = options.profileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`]
    : [];
  const workerFlags = options.workers > 1 ? ['--workers', String(options.workers)] : [];
  const child = spawn(
    process.execPath,
    [...nodeFlags, 'bin/communique.js', 'serve', ...workerFlags],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        DATABASE_URL: options.databaseUrl,
        PORT: String(options.port),
        HOST: '127.0.0.1',
        COMMUNIQUE_DEMO: '0',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  return new Child(
    options.workers > 1
      ? `the Communiqué cluster (${options.workers} workers)`
      : 'the Communiqué server',
    child,
  );
}

/** The baseline server; resolves once it has printed its port. */
export async function startBareServer(
  bodyFile: string,
  contentType: string,
  workers: number,
): Promise<{ child: Child; port: number }> {
  const script = fileURLToPath(new URL('./bare-server.ts', import.meta.url));
  const child = new Child(
    workers > 1 ? `the bare node:http cluster (${workers} workers)` : 'the bare node:http server',
    spawn(process.execPath, [script, bodyFile, contentType, String(workers)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const stdout = child.process.stdout;
  if (stdout === null) throw new Error('the bare server has no stdout');
  const lines = createInterface({ input: stdout });
  const firstLine = await Promise.race([
    once(lines, 'line').then(([line]: unknown[]) => String(line)),
    child.exited.then(() => null),
  ]);
  lines.close();
  const port = Number(firstLine);
  if (firstLine === null || !Number.isInteger(port) || port <= 0) {
    child.killNow();
    throw new Error(`${child.name} did not start (it printed "${firstLine ?? 'nothing'}")`);
  }
  return { child, port };
}

/** Waits until a cluster's primary has forked all its workers (a single process has none to wait for). */
export async function waitForWorkers(child: Child, workers: number, timeoutMs = 30_000) {
  const pid = child.process.pid;
  if (workers <= 1 || pid === undefined) return;
  const deadline = Date.now() + timeoutMs;
  while (childPids(pid).length < workers) {
    if (!child.running) throw new Error(`${child.name} exited before its workers started`);
    if (Date.now() > deadline)
      throw new Error(
        `${child.name} did not start ${workers} workers within ${timeoutMs / 1000} s`,
      );
    await sleep(100);
  }
}
