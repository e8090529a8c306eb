import fastifyCors from '@fastify/cors';
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { DatabaseHandle } from '../db/connect.ts';
import type { RateLimiter } from '../http/rate-limiter.ts';
import type { SiteStateStore } from '../site/site-state.ts';
import { registerAdminDirectoryRoutes } from './admin-directory-routes.ts';
import { ADMIN_SHARED_SCHEMAS } from './admin-schemas.ts';
import { registerAdminStatementRoutes } from './admin-statement-routes.ts';
import { registerApiDocs } from './api-docs.ts';
import { registerProblemHandlers } from './api-error-handler.ts';
import { registerContentApiRoutes } from './content-api-routes.ts';
import { SHARED_SCHEMAS } from './content-schemas.ts';
import { ApiProblem } from './problem.ts';
import { identityOf, registerTokenAuthentication } from './token-authentication.ts';

export interface ApiDependencies {
  handle: DatabaseHandle;
  state: SiteStateStore;
  baseUrl: string;
  rateLimitPerMinute: number;
  rateLimiter: RateLimiter;
  contentChanged: () => Promise<void>;
}

const API_DESCRIPTION = [
  'The Content API (`/api/v1/…`) is public, read-only and CORS-enabled: published statements, organisations and pages.',
  'The Admin API (`/api/v1/admin/…`) needs a personal access token, created under Account → Access tokens in the back office and sent as `Authorization: Bearer <token>`. A token acts with its owner’s role and organisations; a read token may only read.',
  'Errors are RFC 9457 `application/problem+json` documents whose `detail` says what to change.',
].join('\n\n');

const SUCCESS_DESCRIPTIONS: Record<string, string> = {
  '200': 'OK.',
  '201': 'Created; Location gives its address.',
  '204': 'Done; no body.',
};

/** Fastify's generic "Default Response" becomes what each success status means. */
function describeSuccesses<T>(document: T): T {
  const paths =
    (
      document as {
        paths?: Record<
          string,
          Record<string, { responses?: Record<string, { description?: string }> }>
        >;
      }
    ).paths ?? {};
  for (const item of Object.values(paths))
    for (const operation of Object.values(item))
      for (const [status, response] of Object.entries(operation.responses ?? {}))
        if (response.description === 'Default Response')
          response.description = SUCCESS_DESCRIPTIONS[status] ?? 'Success.';
  return document;
}

/** Everything under /api: the Content API, the Admin API and the OpenAPI document built from their schemas. */
export async function registerApi(server: FastifyInstance, deps: ApiDependencies): Promise<void> {
  const apiScope: FastifyPluginAsync = async (api) => {
    for (const schema of [...SHARED_SCHEMAS, ...ADMIN_SHARED_SCHEMAS]) api.addSchema(schema);
    await api.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'Communiqué API', version: '1.0.0', description: API_DESCRIPTION },
        servers: [{ url: deps.baseUrl }],
        tags: [
          { name: 'Content', description: 'Public and read-only; no token needed.' },
          { name: 'Admin: statements', description: 'Drafting and the publishing workflow.' },
          { name: 'Admin: organisations', description: 'The member directory.' },
          { name: 'Admin: pages', description: 'Static pages such as About.' },
        ],
        components: {
          securitySchemes: {
            accessToken: {
              type: 'http',
              scheme: 'bearer',
              description: 'A personal access token (cq_…) from the back office.',
            },
          },
        },
      },
      hideUntagged: true,
      transformObject: (documentObject) =>
        describeSuccesses(
          'openapiObject' in documentObject
            ? documentObject.openapiObject
            : documentObject.swaggerObject,
        ),
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, index) =>
          typeof json.$id === 'string' ? json.$id : `schema-${index}`,
      },
    });
    registerProblemHandlers(api);

    await api.register(
      async (content) => {
        await content.register(fastifyCors, {
          origin: '*',
          methods: ['GET', 'HEAD', 'OPTIONS'],
          maxAge: 86_400,
        });
        content.addHook('onSend', async (_request, reply, payload) => {
          // Other sites may read the Content API from their pages.
          reply.header('cross-origin-resource-policy', 'cross-origin');
          return payload;
        });
        await registerContentApiRoutes(content, deps);
      },
      { prefix: '/v1' },
    );

    await api.register(
      async (admin) => {
        registerTokenAuthentication(admin, deps.handle);
        admin.addHook('preHandler', async (request, reply) => {
          const result = await deps.rateLimiter.hit(
            `api-token:${identityOf(request).tokenId}:${identityOf(request).tokenHint}`,
            deps.rateLimitPerMinute,
            60_000,
          );
          const resetSeconds = Math.ceil(result.resetMs / 1000);
          reply.header('x-ratelimit-limit', result.limit);
          reply.header('x-ratelimit-remaining', result.remaining);
          reply.header('x-ratelimit-reset', resetSeconds);
          if (!result.allowed)
            throw new ApiProblem(
              429,
              'Too many requests',
              `This token made more than ${result.limit} requests in a minute; retry in ${resetSeconds} s.`,
              [],
              { 'retry-after': String(Math.max(1, resetSeconds)) },
            );
        });
        admin.addHook('onSend', async (_request, reply, payload) => {
          reply.header('cache-control', 'no-store');
          return payload;
        });
        await registerAdminStatementRoutes(admin, deps);
        await registerAdminDirectoryRoutes(admin, deps);
      },
      { prefix: '/v1/admin' },
    );

    registerApiDocs(api);
  };
  await server.register(apiScope, { prefix: '/api' });
}
