import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { signIn } from '../accounts/account-service.ts';
import { createSession, deleteSession, findSessionById } from '../accounts/session-store.ts';
import { completeSecondFactor } from '../accounts/two-factor-service.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { type AdminDependencies, auditActor, renderAdmin } from './admin-context.ts';

export const SESSION_COOKIE = 'communique_session';

/** Behind HTTPS the cookie gets the __Host- prefix, which browsers only accept when Secure. */
export function sessionCookieName(secure: boolean): string {
  return secure ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE;
}

/** Only back-office paths may be returned to after sign-in, never another site. */
export function safeNextPath(value: unknown): string {
  return typeof value === 'string' &&
    /^\/admin(\/[^/\\]*)*(\?[^\\]*)?$/.test(value) &&
    !value.startsWith('//')
    ? value
    : '/admin';
}

function minutesUntil(date: Date): number {
  return Math.max(1, Math.ceil((date.getTime() - Date.now()) / 60000));
}

// Between password and code a session is half-open: it may wait only this long for the code.
const SECOND_FACTOR_WAIT_MS = 10 * 60 * 1000;

/** Sign-in and sign-out. */
export function registerAuthRoutes(admin: FastifyInstance, deps: AdminDependencies): void {
  const cookiePath = deps.secureCookies ? '/' : '/admin';
  const setSessionCookie = (reply: FastifyReply, token: string) =>
    reply.setCookie(sessionCookieName(deps.secureCookies), token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: deps.secureCookies,
      path: cookiePath,
      maxAge: Math.floor(deps.sessionPolicy.absoluteMs / 1000),
    });
  const showLogin = (
    request: FastifyRequest,
    reply: FastifyReply,
    error: string | null,
    email: string,
    status: number,
  ) =>
    renderAdmin(
      deps,
      request,
      reply,
      'login',
      {
        error,
        email,
        next: safeNextPath(
          (request.query as Record<string, unknown>).next ??
            (request.body as Record<string, unknown> | undefined)?.next,
        ),
      },
      status,
    );

  admin.get('/login', async (request, reply) => {
    if (request.actor !== null) return reply.redirect('/admin', 303);
    return showLogin(request, reply, null, '', 200);
  });

  admin.post<{ Body: Record<string, unknown> }>('/login', async (request, reply) => {
    const email = typeof request.body.email === 'string' ? request.body.email : '';
    const password = typeof request.body.password === 'string' ? request.body.password : '';
    if (email.trim() === '' || password === '') {
      return showLogin(request, reply, 'Enter your email address and your password.', email, 400);
    }
    const result = await signIn(deps.handle, { email, password, ip: request.ip });
    if (result.outcome === 'locked') {
      reply.header('retry-after', String(minutesUntil(result.until) * 60));
      return showLogin(
        request,
        reply,
        `Too many sign-in attempts. Try again in ${minutesUntil(result.until)} minutes.`,
        email,
        429,
      );
    }
    if (result.outcome === 'rejected') {
      return showLogin(
        request,
        reply,
        'That email address and password do not match an active account.',
        email,
        401,
      );
    }
    // A fresh session id at every sign-in defeats session fixation.
    if (request.sessionId !== null) await deleteSession(deps.handle.db, request.sessionId);
    const token = await createSession(
      deps.handle.db,
      {
        userId: result.userId,
        secondFactorPending: result.needsSecondFactor,
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
      },
      deps.sessionPolicy,
    );
    setSessionCookie(reply, token);
    const next = safeNextPath(request.body.next);
    if (result.needsSecondFactor)
      return reply.redirect(`/admin/login/two-factor?next=${encodeURIComponent(next)}`, 303);
    await recordAudit(
      deps.handle.db,
      { userId: result.userId, label: email.trim().toLowerCase(), ip: request.ip },
      'login.succeeded',
      { type: 'user', id: result.userId },
    );
    return reply.redirect(next, 303);
  });

  /** The half-open session waiting for a second factor, or null (after ending a stale one). */
  const pendingSession = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.actor !== null || request.sessionId === null) return null;
    const session = await findSessionById(deps.handle.db, request.sessionId);
    if (session === undefined || !session.secondFactorPending) return null;
    if (Date.now() - session.createdAt.getTime() > SECOND_FACTOR_WAIT_MS) {
      await deleteSession(deps.handle.db, session.id);
      reply.clearCookie(sessionCookieName(deps.secureCookies), { path: cookiePath });
      request.sessionId = null;
      return 'expired' as const;
    }
    return session;
  };

  const showSecondFactor = (
    request: FastifyRequest,
    reply: FastifyReply,
    error: string | null,
    status: number,
  ) =>
    renderAdmin(
      deps,
      request,
      reply,
      'two-factor-login',
      {
        title: 'Two-factor sign-in',
        error,
        next: safeNextPath(
          (request.query as Record<string, unknown>).next ??
            (request.body as Record<string, unknown> | undefined)?.next,
        ),
      },
      status,
    );

  const showExpired = (request: FastifyRequest, reply: FastifyReply) =>
    showLogin(
      request,
      reply,
      'Signing in took too long. Please enter your email address and password again.',
      '',
      401,
    );

  admin.get('/login/two-factor', async (request, reply) => {
    const session = await pendingSession(request, reply);
    if (session === 'expired') return showExpired(request, reply);
    if (session === null) return reply.redirect('/admin/login', 303);
    return showSecondFactor(request, reply, null, 200);
  });

  admin.post<{ Body: Record<string, unknown> }>('/login/two-factor', async (request, reply) => {
    const session = await pendingSession(request, reply);
    if (session === 'expired') return showExpired(request, reply);
    if (session === null) return reply.redirect('/admin/login', 303);
    const code = typeof request.body.code === 'string' ? request.body.code.trim() : '';
    if (code === '' || code.length > 40) {
      return showSecondFactor(
        request,
        reply,
        'Enter the 6-digit code from your authenticator app, or one of your recovery codes.',
        400,
      );
    }
    const result = await completeSecondFactor(
      deps.handle,
      deps.config,
      {
        pendingSessionId: session.id,
        userId: session.userId,
        code,
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
      },
      deps.sessionPolicy,
    );
    if (result.outcome === 'locked') {
      reply.header('retry-after', String(minutesUntil(result.until) * 60));
      return showSecondFactor(
        request,
        reply,
        `Too many sign-in attempts. Try again in ${minutesUntil(result.until)} minutes.`,
        429,
      );
    }
    if (result.outcome === 'rejected') {
      const message =
        result.reason === 'replayed'
          ? 'That code has already been used. Wait for the next code from your app and enter it.'
          : result.reason === 'key-unavailable'
            ? 'Authenticator codes cannot be checked right now because the server key has changed. Use one of your recovery codes, or ask an administrator.'
            : 'That code is not right. Enter the current 6-digit code from your app, or an unused recovery code.';
      return showSecondFactor(request, reply, message, 401);
    }
    // The pending session is gone and a new id replaces it, as at the password step.
    setSessionCookie(reply, result.token);
    return reply.redirect(safeNextPath(request.body.next), 303);
  });

  admin.post('/logout', async (request, reply) => {
    if (request.sessionId !== null) {
      await deleteSession(deps.handle.db, request.sessionId);
      if (request.actor !== null)
        await recordAudit(deps.handle.db, auditActor(request), 'logout', {
          type: 'user',
          id: request.actor.id,
        });
    }
    reply.clearCookie(sessionCookieName(deps.secureCookies), { path: cookiePath });
    return reply.redirect('/admin/login?notice=signed_out', 303);
  });
}
