import { randomUUID } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import fastifyStatic from '@fastify/static';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { registerSecurityHeaders } from './security-headers.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Cache-Control of public pages: a minute in browsers, as configured in shared caches. */
    publicCacheControl: string;
  }
  interface FastifyContextConfig {
    /** A health or metrics probe: its request line is logged at debug, not info. */
    probe?: boolean;
  }
}

export interface ServerOptions {
  logger: Logger;
  assetFolders: string[];
  trustProxy: boolean;
  /** Cache-Control for public pages (see src/ops/surrogate-keys.ts). */
  publicCacheControl: string;
  /** Rewrites a request's URL before routing, e.g. to strip a language prefix. */
  rewriteUrl?: (request: IncomingMessage) => string;
  /** Answers a request before Fastify sees it, returning true when it did (cached pages). */
  answerBeforeRouting?: (request: IncomingMessage, response: ServerResponse) => boolean;
}

/** A route as registered: method and URL pattern, e.g. GET /admin/statements/:id. */
export interface RouteRecord {
  method: string;
  url: string;
}

export const REQUEST_ID_HEADER = 'x-request-id';
const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** A proxy's request id is kept only when the proxy is trusted and the id is well formed. */
export function requestIdFor(request: IncomingMessage, trustProxy: boolean): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  if (trustProxy && typeof incoming === 'string' && WELL_FORMED_REQUEST_ID.test(incoming))
    return incoming;
  return randomUUID();
}

const FRAMEWORK_ERROR_TEXT: Record<number, { title: string; message: string }> = {
  400: {
    title: 'That address is not valid',
    message: 'The address has a broken character escape (a % not followed by two hex digits).',
  },
  414: { title: 'That address is too long', message: 'The address is longer than any page here.' },
};
const FALLBACK_ERROR_TEXT = {
  title: 'Something went wrong',
  message: 'The page could not be shown because of a problem on our side.',
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/**
 * Errors Fastify answers before any route runs (a broken %-escape, an over-long path): a short
 * HTML page, or problem+json under /api/, never Fastify's JSON or a stack trace. Hooks do not run
 * here, so the request id and the few headers that matter are set by hand.
 */
function sendFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500;
  const text = FRAMEWORK_ERROR_TEXT[status] ?? FALLBACK_ERROR_TEXT;
  const path = request.raw.url ?? '/';
  request.log.info(`${request.method} ${path.slice(0, 200)} ${status} (${error.code})`);
  reply
    .code(status)
    .header(REQUEST_ID_HEADER, request.id)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'");
  if (path.startsWith('/api/'))
    return reply.type('application/problem+json; charset=utf-8').send(
      JSON.stringify({
        type: 'about:blank',
        title: status === 500 ? 'Internal server error' : 'Bad request',
        status,
        detail: text.message,
      }),
    );
  return reply
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>${escapeHtml(text.title)}</title>\n</head>\n<body>\n<h1>${escapeHtml(text.title)}</h1>\n<p>${escapeHtml(text.message)}</p>\n<p><a href="/">Go to the front page</a></p>\n</body>\n</html>\n`,
    );
}

/** A Fastify instance with security headers, request ids, readable request logs and theme assets. */
export async function createServer(
  options: ServerOptions,
): Promise<{ server: FastifyInstance; routes: RouteRecord[] }> {
  const answerBeforeRouting = options.answerBeforeRouting;
  const server = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 300 },
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // Unknown query parameters and body fields are errors that name them, not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
    trustProxy: options.trustProxy,
    // Read here rather than by Fastify, which would take any header value as it is.
    requestIdHeader: false,
    genReqId: (request) => requestIdFor(request, options.trustProxy),
    frameworkErrors: sendFrameworkError,
    ...(options.rewriteUrl === undefined ? {} : { rewriteUrl: options.rewriteUrl }),
    ...(answerBeforeRouting === undefined
      ? {}
      : {
          serverFactory: (route: (request: IncomingMessage, response: ServerResponse) => void) =>
            createHttpServer((request, response) => {
              if (!answerBeforeRouting(request, response)) route(request, response);
            }),
        }),
  });
  server.decorate('publicCacheControl', options.publicCacheControl);
  const routes: RouteRecord[] = [];
  server.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  server.addHook('onRequest', (request, reply, done) => {
    // Straight on the raw response, as security-headers.ts does: this runs for every request.
    reply.raw.setHeader(REQUEST_ID_HEADER, request.id);
    done();
  });
  server.addHook('onResponse', async (request, reply) => {
    // Probes log at debug, below info: with info off there is nothing to log at all.
    if (!options.logger.isLevelEnabled('info')) return;
    const level = request.routeOptions.config.probe === true ? 'debug' : 'info';
    if (!options.logger.isLevelEnabled(level)) return;
    request.log[level](
      {
        method: request.method,
        url: request.url,
        statusCode: reply.statusCode,
        durationMs: Number(reply.elapsedTime.toFixed(1)),
      },
      `${request.method} ${request.url} ${reply.statusCode} ${reply.elapsedTime.toFixed(1)} ms`,
    );
  });
  registerSecurityHeaders(server);
  await server.register(fastifyStatic, {
    root: options.assetFolders,
    prefix: '/assets/',
    maxAge: '1d',
    index: false,
    wildcard: true,
  });
  return { server, routes };
}
