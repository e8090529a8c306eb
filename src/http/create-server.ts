import type { IncomingMessage } from 'node:http';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { registerSecurityHeaders } from './security-headers.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Cache-Control of public pages: a minute in browsers, as configured in shared caches. */
    publicCacheControl: string;
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
}

/** A route as registered: method and URL pattern, e.g. GET /admin/statements/:id. */
export interface RouteRecord {
  method: string;
  url: string;
}

/** A Fastify instance with security headers, readable request logs and theme assets. */
export async function createServer(
  options: ServerOptions,
): Promise<{ server: FastifyInstance; routes: RouteRecord[] }> {
  const server = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 300 },
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // Unknown query parameters and body fields are errors that name them, not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
    trustProxy: options.trustProxy,
    ...(options.rewriteUrl === undefined ? {} : { rewriteUrl: options.rewriteUrl }),
  });
  server.decorate('publicCacheControl', options.publicCacheControl);
  const routes: RouteRecord[] = [];
  server.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  server.addHook('onResponse', async (request, reply) => {
    if (!options.logger.isLevelEnabled('info')) return;
    request.log.info(
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
