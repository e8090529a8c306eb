import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { registerSecurityHeaders } from './security-headers.ts';

export interface ServerOptions {
  logger: Logger;
  assetFolders: string[];
  trustProxy: boolean;
}

/** A Fastify instance with security headers, readable request logs and theme assets. */
export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const server = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 300 },
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    trustProxy: options.trustProxy,
  });
  server.addHook('onResponse', async (request, reply) => {
    if (!options.logger.isLevelEnabled('info')) return;
    request.log.info(
      `${request.method} ${request.url} ${reply.statusCode} ${reply.elapsedTime.toFixed(1)} ms`,
    );
  });
  await registerSecurityHeaders(server);
  await server.register(fastifyStatic, {
    root: options.assetFolders,
    prefix: '/assets/',
    maxAge: '1d',
    index: false,
    wildcard: true,
  });
  return server;
}
