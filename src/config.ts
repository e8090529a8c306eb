import { statSync } from 'node:fs';
import path from 'node:path';

export type DatabaseConfig =
  | { engine: 'sqlite'; file: string; url: string }
  | { engine: 'postgres'; url: string };

export interface Config {
  port: number;
  host: string;
  database: DatabaseConfig;
  /** How long `serve` keeps retrying a PostgreSQL that is not reachable at start; 0 tries once. */
  databaseConnectTimeoutSeconds: number;
  baseUrl: string;
  demoContent: boolean;
  themeDir: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  logFormat: 'pretty' | 'json';
  pageCacheEntries: number;
  sessionIdleMinutes: number;
  sessionMaxHours: number;
  trustProxy: boolean;
  /** Key material for encrypting stored secrets (two-factor seeds); null means use a key file beside SQLite. */
  secret: string | null;
  /** Where uploaded images and their variants are written. */
  mediaDir: string;
  webhooks: WebhookDeliveryConfig;
  /** Admin API requests one access token may make per minute. */
  apiRateLimitPerMinute: number;
  /** Redis for shared rate limits; null keeps them in the database. */
  redisUrl: string | null;
  /** How shared caches (a CDN, nginx) may keep public pages, and where to ask them to purge. */
  cdn: CdnConfig;
  /** Bearer token for /metrics; null serves it to loopback addresses only. */
  metricsToken: string | null;
}

/** Caching by a CDN or reverse proxy in front of the site. */
export interface CdnConfig {
  /** s-maxage: seconds a shared cache may serve a public page without asking again. */
  maxAgeSeconds: number;
  /** stale-while-revalidate: seconds a stale page may be served while a fresh one is fetched. */
  staleWhileRevalidateSeconds: number;
  /** stale-if-error: seconds a stale page may be served while the site fails. */
  staleIfErrorSeconds: number;
  /** Where to POST the surrogate keys of what changed; null sends no purges. */
  purgeUrl: string | null;
  /** Sent as `Authorization: Bearer …` with each purge. */
  purgeToken: string | null;
}

/** How webhook deliveries are sent and retried. */
export interface WebhookDeliveryConfig {
  /** Tries per delivery, the first included, before it is marked failed. */
  maxAttempts: number;
  /** The wait before the first retry; each later wait is four times the one before. */
  retryBaseMs: number;
  /** How long one request may take before it counts as failed. */
  timeoutMs: number;
}

/** A configuration problem, reported as one line that names the variable. */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super(`Configuration error: ${variable} ${problem}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/communique.db';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function readInteger(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) {
    throw new ConfigError(name, `must be a whole number between ${min} and ${max}, got "${raw}"`);
  }
  const value = Number(raw.trim());
  if (value < min || value > max) {
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function readBoolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be 1 or 0 (or true/false), got "${env[name]}"`);
}

function readChoice<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(name, `must be one of ${choices.join(', ')}, got "${raw}"`);
}

/** Parses a DATABASE_URL: `sqlite:PATH` (relative to cwd) or `postgres://…`. */
export function parseDatabaseUrl(raw: string, name = 'DATABASE_URL'): DatabaseConfig {
  const url = raw.trim();
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '')
      throw new ConfigError(
        name,
        'needs a file path after "sqlite:", e.g. sqlite:./data/communique.db',
      );
    return { engine: 'sqlite', file: file === ':memory:' ? file : path.resolve(file), url };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    try {
      const parsed = new URL(url);
      if (parsed.hostname === '' && !parsed.searchParams.has('host')) throw new Error('no host');
    } catch {
      throw new ConfigError(name, `is not a valid PostgreSQL URL: "${url}"`);
    }
    return { engine: 'postgres', url };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  throw new ConfigError(
    name,
    scheme
      ? `has an unknown scheme "${scheme}:" (use sqlite:PATH or postgres://USER@HOST/DB)`
      : `must start with sqlite: or postgres://, got "${url}"`,
  );
}

function readBaseUrl(env: NodeJS.ProcessEnv, host: string, port: number): string {
  const raw = env.BASE_URL?.trim();
  if (raw === undefined || raw === '')
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError('BASE_URL', `is not an absolute URL: "${raw}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError('BASE_URL', `must use http or https, got "${parsed.protocol}"`);
  }
  return parsed.href.replace(/\/+$/, '');
}

function readRedisUrl(env: NodeJS.ProcessEnv): string | null {
  const raw = env.REDIS_URL?.trim();
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('REDIS_URL', `is not a URL: "${raw}" (e.g. redis://127.0.0.1:6379)`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new ConfigError('REDIS_URL', `must start with redis:// or rediss://, got "${raw}"`);
  return raw;
}

function readPurgeUrl(env: NodeJS.ProcessEnv): string | null {
  const raw = env.CDN_PURGE_URL?.trim();
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('CDN_PURGE_URL', `is not an absolute URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError('CDN_PURGE_URL', `must use http or https, got "${url.protocol}"`);
  return url.href;
}

/** A token sent in an HTTP header: printable ASCII without spaces, so it cannot break the header. */
function readToken(env: NodeJS.ProcessEnv, name: string): string | null {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return null;
  if (!/^[\x21-\x7e]{16,512}$/.test(raw))
    throw new ConfigError(
      name,
      'must be 16 to 512 printable characters without spaces (e.g. from `openssl rand -hex 32`)',
    );
  return raw;
}

function readSecret(env: NodeJS.ProcessEnv): string | null {
  const raw = env.COMMUNIQUE_SECRET?.trim();
  if (raw === undefined || raw === '') return null;
  if (raw.length < 32)
    throw new ConfigError(
      'COMMUNIQUE_SECRET',
      'must be at least 32 characters (e.g. from `openssl rand -base64 48`)',
    );
  return raw;
}

/** Reads and validates the environment; throws ConfigError on the first bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = readInteger(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST?.trim() || '127.0.0.1';
  if (!/^[A-Za-z0-9.:-]+$/.test(host))
    throw new ConfigError('HOST', `is not a host name or address: "${host}"`);
  const themeDir = env.THEME_DIR?.trim() ? path.resolve(env.THEME_DIR.trim()) : null;
  if (themeDir !== null && !statSync(themeDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ConfigError('THEME_DIR', `is not a folder: "${themeDir}"`);
  }
  return {
    port,
    host,
    database: parseDatabaseUrl(env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL),
    databaseConnectTimeoutSeconds: readInteger(
      env,
      'DATABASE_CONNECT_TIMEOUT_SECONDS',
      30,
      0,
      3600,
    ),
    baseUrl: readBaseUrl(env, host, port),
    demoContent: readBoolean(env, 'COMMUNIQUE_DEMO', true),
    themeDir,
    logLevel: readChoice(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: readChoice(env, 'LOG_FORMAT', ['pretty', 'json'] as const, 'pretty'),
    pageCacheEntries: readInteger(env, 'PAGE_CACHE_ENTRIES', 5000, 0, 1_000_000),
    sessionIdleMinutes: readInteger(env, 'SESSION_IDLE_MINUTES', 120, 1, 60 * 24 * 30),
    sessionMaxHours: readInteger(env, 'SESSION_MAX_HOURS', 12, 1, 24 * 90),
    trustProxy: readBoolean(env, 'TRUST_PROXY', false),
    secret: readSecret(env),
    mediaDir: path.resolve(env.MEDIA_DIR?.trim() || './data/media'),
    apiRateLimitPerMinute: readInteger(env, 'API_RATE_LIMIT_PER_MINUTE', 300, 1, 100_000),
    redisUrl: readRedisUrl(env),
    cdn: {
      maxAgeSeconds: readInteger(env, 'CDN_MAX_AGE', 300, 0, 31_536_000),
      staleWhileRevalidateSeconds: readInteger(
        env,
        'CDN_STALE_WHILE_REVALIDATE',
        86_400,
        0,
        31_536_000,
      ),
      staleIfErrorSeconds: readInteger(env, 'CDN_STALE_IF_ERROR', 86_400, 0, 31_536_000),
      purgeUrl: readPurgeUrl(env),
      purgeToken: readToken(env, 'CDN_PURGE_TOKEN'),
    },
    metricsToken: readToken(env, 'METRICS_TOKEN'),
    webhooks: {
      maxAttempts: readInteger(env, 'WEBHOOK_MAX_ATTEMPTS', 8, 1, 50),
      retryBaseMs: readInteger(env, 'WEBHOOK_RETRY_BASE_MS', 30_000, 10, 86_400_000),
      timeoutMs: readInteger(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 300_000),
    },
  };
}
