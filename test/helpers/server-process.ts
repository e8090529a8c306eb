import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { loadConfig } from '../../src/config.ts';
import { type DatabaseHandle, openDatabase } from '../../src/db/connect.ts';
import { CLI, PROJECT_ROOT, runCli } from './cli.ts';

export const TEST_SECRET = 'a test secret that is long enough for the key derivation';

/** A real `communique serve` process, its output collected for assertions. */
export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  /** http://127.0.0.1:PORT, once it serves. */
  origin: string;
  output(): string;
  /** Waits until the output matches, or fails with the output so far. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** `exited`, or a failure naming the output if the process is still there after `timeoutMs`. */
  exit(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL if it is still there after a while. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Starts the real command line `communique serve` and waits until it serves. */
export async function startServer(
  env: Record<string, string>,
  args: string[] = [],
): Promise<ServerProcess> {
  const server = spawnServer(env, args);
  try {
    await server.serving;
  } catch (error) {
    server.child.kill('SIGKILL');
    throw error;
  }
  return server;
}

/** Starts `communique serve` without waiting; `serving` resolves once it announces its address. */
export function spawnServer(
  env: Record<string, string>,
  args: string[] = [],
): ServerProcess & { serving: Promise<string> } {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      PORT: '0',
      LOG_FORMAT: 'pretty',
      LOG_LEVEL: 'info',
      COMMUNIQUE_SECRET: TEST_SECRET,
      API_RATE_LIMIT_PER_MINUTE: '100000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const waitFor = async (pattern: RegExp, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(output);
      if (match) return match;
      if (gone || Date.now() > deadline)
        throw new Error(
          `${pattern} did not appear${gone ? ' (the process exited)' : ''}:\n${output}`,
        );
      await sleep(25);
    }
  };
  const exit = (timeoutMs = 20_000) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`still running after ${timeoutMs} ms:\n${output}`)),
        timeoutMs,
      );
      void exited.then((outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
    });
  const stop = async () => {
    if (gone) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const server: ServerProcess & { serving: Promise<string> } = {
    child,
    pid: child.pid ?? 0,
    origin: '',
    output: () => output,
    waitFor,
    exited,
    exit,
    stop,
    serving: Promise.resolve(''),
  };
  server.serving = waitFor(/Communiqué is serving (http:\/\/127\.0\.0\.1:\d+)/).then((match) => {
    server.origin = match[1] ?? '';
    return server.origin;
  });
  // Callers that never await `serving` must not see an unhandled rejection.
  server.serving.catch(() => {});
  return server;
}

/** A port where nothing listens (yet). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function openTestHandle(url: string): Promise<DatabaseHandle> {
  return openDatabase(loadConfig({ DATABASE_URL: url }).database);
}

/**
 * Prepares a database as an operator would: `communique init` (demo network), an administrator
 * made with `communique user create --password-stdin`, and a write token stored by its SHA-256.
 */
export async function prepareSite(
  url: string,
  options: { demo?: boolean } = {},
): Promise<{ token: string; userId: number }> {
  const env = {
    DATABASE_URL: url,
    COMMUNIQUE_SECRET: TEST_SECRET,
    COMMUNIQUE_DEMO: options.demo === false ? '0' : '1',
  };
  const init = await runCli(['init'], env);
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
  const created = await runCli(
    [
      'user',
      'create',
      '--email',
      'ops@example.org',
      '--name',
      'Ops',
      '--role',
      'admin',
      '--password-stdin',
    ],
    env,
    'a long and careful passphrase',
  );
  if (created.code !== 0) throw new Error(`user create failed: ${created.stderr}`);
  const token = `cq_${randomBytes(32).toString('base64url')}`;
  const handle = await openTestHandle(url);
  try {
    const user = await handle.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', 'ops@example.org')
      .executeTakeFirstOrThrow();
    await handle.db
      .insertInto('access_tokens')
      .values({
        user_id: user.id,
        name: 'Test burst',
        scope: 'write',
        token_hash: createHash('sha256').update(token, 'utf8').digest('hex'),
        token_hint: token.slice(0, 10),
        created_at: new Date(),
        expires_at: null,
        last_used_at: null,
        revoked_at: null,
      })
      .execute();
    return { token, userId: user.id };
  } finally {
    await handle.close();
  }
}

/** Calls the Admin API with a bearer token. */
export async function adminApi(
  origin: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${origin}${path}`, {
    signal: AbortSignal.timeout(15_000),
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? {} : JSON.parse(text) };
}
