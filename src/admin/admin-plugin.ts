import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { type Action, can } from '../accounts/policy.ts';
import { findActiveSession } from '../accounts/session-store.ts';
import { findUserById } from '../accounts/user-repository.ts';
import { cleanFormBody } from '../content/clean-text.ts';
import { isUniqueViolation } from '../db/constraint-errors.ts';
import { registerAccessTokenRoutes } from './access-token-routes.ts';
import { registerAccountRoutes } from './account-routes.ts';
import { type AdminDependencies, renderAdmin } from './admin-context.ts';
import { AdminHttpError } from './admin-http-error.ts';
import { ADMIN_ASSETS_DIR } from './admin-views.ts';
import { registerAuditRoutes } from './audit-routes.ts';
import { registerAuthRoutes, SESSION_COOKIE, sessionCookieName } from './auth-routes.ts';
import { CSRF_COOKIE, CSRF_FIELD, csrfTokenMatches, newCsrfSecret } from './csrf.ts';
import { registerDashboardRoutes } from './dashboard-routes.ts';
import { registerMediaRoutes } from './media-routes.ts';
import { registerOrganisationRoutes } from './organisation-routes.ts';
import { registerPageRoutes } from './page-routes.ts';
import { registerSettingsRoutes } from './settings-routes.ts';
import { registerStatementRoutes } from './statement-routes.ts';
import { registerUserRoutes } from './user-routes.ts';
import { registerWebhookRoutes } from './webhook-routes.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The policy action a back-office route performs; routes without one are reachable signed out. */
    action?: Action;
  }
}

const ADMIN_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The back office under /admin: its own cookies, sessions, CSRF checks, headers and error pages. */
export async function registerAdmin(
  server: FastifyInstance,
  deps: AdminDependencies,
): Promise<void> {
  const adminScope: FastifyPluginAsync = async (admin) => {
    await admin.register(fastifyCookie);
    await admin.register(fastifyFormbody, { bodyLimit: 2 * 1024 * 1024 });
    await admin.register(fastifyStatic, {
      root: ADMIN_ASSETS_DIR,
      prefix: '/assets/',
      decorateReply: false,
      maxAge: '1h',
    });
    admin.decorateRequest('actor', null);
    admin.decorateRequest('sessionId', null);
    admin.decorateRequest('csrfSecret', '');

    admin.addHook('onRequest', async (request, reply) => {
      const cookieOptions = {
        httpOnly: true,
        sameSite: 'lax' as const,
        secure: deps.secureCookies,
        path: '/admin',
      };
      let secret = request.cookies[CSRF_COOKIE];
      if (secret === undefined || !/^[A-Za-z0-9_-]{43}$/.test(secret)) {
        secret = newCsrfSecret();
        reply.setCookie(CSRF_COOKIE, secret, cookieOptions);
      }
      request.csrfSecret = secret;
      const token = request.cookies[sessionCookieName(deps.secureCookies)];
      if (token === undefined) return;
      const session = await findActiveSession(deps.handle.db, token, deps.sessionPolicy);
      if (session === undefined) {
        reply.clearCookie(sessionCookieName(deps.secureCookies), {
          path: deps.secureCookies ? '/' : '/admin',
        });
        return;
      }
      request.sessionId = session.id;
      if (session.secondFactorPending) return;
      request.actor = (await findUserById(deps.handle.db, session.userId)) ?? null;
    });

    admin.addHook('onSend', async (_request, reply, payload) => {
      reply.header('content-security-policy', ADMIN_CSP);
      reply.header('cache-control', 'no-store');
      reply.header('x-robots-tag', 'noindex, nofollow');
      return payload;
    });

    admin.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      cleanFormBody(request.body);
      if (!SAFE_METHODS.has(request.method)) {
        const body = request.body as Record<string, unknown> | undefined;
        const token = body?.[CSRF_FIELD] ?? request.headers['x-csrf-token'];
        if (!csrfTokenMatches(request.csrfSecret, request.sessionId, token)) {
          throw new AdminHttpError(
            403,
            'This form has expired or came from another site. Go back, reload the page and try again.',
          );
        }
      }
      const action = request.routeOptions.config.action;
      if (action === undefined) return;
      if (request.actor === null) {
        if (request.method === 'GET') {
          return reply.redirect(`/admin/login?next=${encodeURIComponent(request.url)}`, 303);
        }
        throw new AdminHttpError(401, 'Please sign in again: your session has ended.');
      }
      if (!can(request.actor, action)) {
        throw new AdminHttpError(403, 'Your account is not allowed to do this.');
      }
    });

    admin.setErrorHandler(async (error, request, reply) => {
      let status = 500;
      let message = 'Something went wrong on our side. The change was not saved; please try again.';
      if (error instanceof AdminHttpError) {
        status = error.status;
        message = error.message;
      } else if (isUniqueViolation(error)) {
        status = 409;
        message =
          'Someone saved an item with the same address or email a moment ago. Nothing was changed: go back and choose another.';
      } else if (
        typeof (error as { statusCode?: unknown }).statusCode === 'number' &&
        (error as { statusCode: number }).statusCode < 500
      ) {
        status = (error as { statusCode: number }).statusCode;
        message = (error as Error).message;
      } else {
        request.log.error({ err: error }, `Back office failed on ${request.method} ${request.url}`);
      }
      return renderAdmin(
        deps,
        request,
        reply,
        'error',
        {
          title:
            status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'Something went wrong',
          message,
        },
        status,
      );
    });

    admin.setNotFoundHandler(async (request, reply) =>
      renderAdmin(
        deps,
        request,
        reply,
        'error',
        { title: 'Not found', message: 'There is no back-office page at this address.' },
        404,
      ),
    );

    registerAuthRoutes(admin, deps);
    registerDashboardRoutes(admin, deps);
    registerStatementRoutes(admin, deps);
    registerOrganisationRoutes(admin, deps);
    registerPageRoutes(admin, deps);
    registerSettingsRoutes(admin, deps);
    registerUserRoutes(admin, deps);
    registerAccountRoutes(admin, deps);
    registerAccessTokenRoutes(admin, deps);
    registerAuditRoutes(admin, deps);
    registerMediaRoutes(admin, deps);
    registerWebhookRoutes(admin, deps);
  };
  await server.register(adminScope, { prefix: '/admin' });
}

export { SESSION_COOKIE };
