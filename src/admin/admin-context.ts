import type { FastifyReply, FastifyRequest } from 'fastify';
import { can } from '../accounts/policy.ts';
import type { SessionPolicy } from '../accounts/session-store.ts';
import type { User } from '../accounts/user.ts';
import type { AuditActor } from '../audit/audit-log.ts';
import type { Config } from '../config.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import type { AdminViews } from './admin-views.ts';
import { csrfToken } from './csrf.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor: User | null;
    sessionId: string | null;
    csrfSecret: string;
  }
}

/** What every back-office route needs. */
export interface AdminDependencies {
  config: Config;
  handle: DatabaseHandle;
  views: AdminViews;
  sessionPolicy: SessionPolicy;
  secureCookies: boolean;
  /** Call after a committed content change so every page cache forgets stale pages. */
  contentChanged(): Promise<void>;
  /** Call after committing webhook deliveries that are not content changes (a test event). */
  webhooksQueued(): void;
}

const NOTICES: Record<string, string> = {
  saved: 'Saved.',
  created: 'Created.',
  deleted: 'Deleted.',
  submitted: 'Submitted for review.',
  published: 'Published. It is on the public site now.',
  scheduled: 'Scheduled. It will be published at the time you set.',
  unpublished: 'Unpublished. It is no longer on the public site.',
  archived: 'Archived.',
  draft: 'Returned to draft.',
  restored: 'Revision restored as a new revision.',
  password: 'Your password has been changed. Your other sessions were signed out.',
  signed_out: 'You have signed out.',
  uploaded: 'Image uploaded.',
  two_factor_on: 'Two-factor sign-in is on.',
  two_factor_off: 'Two-factor sign-in is off.',
  token_revoked: 'Token revoked. Requests using it are refused from now on.',
  test_sent: 'Test event queued. It appears in the delivery log below once sent.',
};

export function auditActor(request: FastifyRequest): AuditActor {
  return {
    userId: request.actor?.id ?? null,
    label: request.actor?.email ?? 'signed out',
    ip: request.ip,
  };
}

/** Renders a back-office page with the layout's shared context. */
export async function renderAdmin(
  deps: AdminDependencies,
  request: FastifyRequest,
  reply: FastifyReply,
  template: string,
  context: Record<string, unknown>,
  status = 200,
): Promise<FastifyReply> {
  const actor = request.actor;
  const notice = (request.query as Record<string, unknown> | undefined)?.notice;
  const html = await deps.views.render(template, {
    csrf: csrfToken(request.csrfSecret, request.sessionId),
    actor: actor === null ? null : { name: actor.name, email: actor.email, role: actor.role },
    menu:
      actor === null
        ? null
        : {
            statements: can(actor, 'statement.list'),
            organisations: can(actor, 'organisation.manage'),
            pages: can(actor, 'page.manage'),
            media: can(actor, 'media.list'),
            settings: can(actor, 'settings.manage'),
            users: can(actor, 'user.manage'),
            audit: can(actor, 'audit.view'),
            webhooks: can(actor, 'webhook.manage'),
          },
    current_path: request.url.split('?')[0],
    notice: typeof notice === 'string' ? (NOTICES[notice] ?? null) : null,
    ...context,
  });
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

/** Redirects after a successful POST, so reloading does not post again. */
export function redirectWithNotice(
  reply: FastifyReply,
  path: string,
  notice: keyof typeof NOTICES,
): FastifyReply {
  const separator = path.includes('?') ? '&' : '?';
  return reply.redirect(`${path}${separator}notice=${notice}`, 303);
}
