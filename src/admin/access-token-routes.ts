import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AccessTokenInputError,
  createAccessToken,
  listAccessTokens,
  revokeAccessToken,
  TOKEN_LIFETIMES_DAYS,
} from '../accounts/access-token-service.ts';
import type { User } from '../accounts/user.ts';
import {
  type AdminDependencies,
  auditActor,
  redirectWithNotice,
  renderAdmin,
} from './admin-context.ts';
import { AdminHttpError } from './admin-http-error.ts';
import { type FormBody, formField } from './form-field.ts';

const PATH = '/account/tokens';
const PUBLIC_PATH = `/admin${PATH}`;

function signedInUser(request: FastifyRequest): User {
  if (request.actor === null)
    throw new AdminHttpError(401, 'Please sign in again: your session has ended.');
  return request.actor;
}

const formatTime = (date: Date | null) =>
  date === null ? null : date.toISOString().slice(0, 16).replace('T', ' ');

/** Personal access tokens for the Admin API: created, shown once, listed and revoked by their owner. */
export function registerAccessTokenRoutes(admin: FastifyInstance, deps: AdminDependencies): void {
  const action = { config: { action: 'account.manage_own' as const } };

  const showTokens = async (
    request: FastifyRequest,
    reply: FastifyReply,
    extra: {
      errors?: Record<string, string>;
      form?: Record<string, string>;
      created?: { name: string; token: string };
    } = {},
    status = 200,
  ) => {
    const user = signedInUser(request);
    const now = Date.now();
    const tokens = (await listAccessTokens(deps.handle.db, user.id)).map((token) => ({
      id: token.id,
      name: token.name,
      scope: token.scope,
      hint: token.hint,
      created_at: formatTime(token.createdAt),
      expires_at: formatTime(token.expiresAt),
      last_used_at: formatTime(token.lastUsedAt),
      revoked_at: formatTime(token.revokedAt),
      expired: token.expiresAt !== null && token.expiresAt.getTime() <= now,
    }));
    return renderAdmin(
      deps,
      request,
      reply,
      'access-tokens',
      {
        title: 'Access tokens',
        tokens,
        lifetimes: TOKEN_LIFETIMES_DAYS.map((days) => ({
          value: days === null ? 'never' : String(days),
          label: days === null ? 'Never expires' : `${days} days`,
        })),
        form: extra.form ?? { name: '', scope: 'read', lifetime: '90' },
        errors: extra.errors ?? null,
        created: extra.created ?? null,
        role: user.role,
        api_docs: '/api/docs',
      },
      status,
    );
  };

  admin.get(PATH, action, (request, reply) => showTokens(request, reply));

  admin.post<{ Body: FormBody }>(PATH, action, async (request, reply) => {
    const user = signedInUser(request);
    const form = {
      name: formField(request.body, 'name'),
      scope: formField(request.body, 'scope'),
      lifetime: formField(request.body, 'lifetime'),
    };
    try {
      const { token } = await createAccessToken(deps.handle, user, auditActor(request), {
        name: form.name,
        scope: form.scope,
        lifetimeDays: form.lifetime,
      });
      // Shown in this response only: the page is not cached and the token is never stored.
      return showTokens(request, reply, { created: { name: form.name.trim(), token } }, 201);
    } catch (error) {
      if (error instanceof AccessTokenInputError)
        return showTokens(request, reply, { errors: error.fields, form }, 400);
      throw error;
    }
  });

  admin.post<{ Params: { id: string } }>(`${PATH}/:id/revoke`, action, async (request, reply) => {
    const user = signedInUser(request);
    const id = Number(request.params.id);
    if (!Number.isSafeInteger(id) || id < 1)
      throw new AdminHttpError(404, 'There is no such token.');
    const revoked = await revokeAccessToken(deps.handle, user, auditActor(request), id);
    if (!revoked) throw new AdminHttpError(404, 'There is no such token among yours.');
    return redirectWithNotice(reply, PUBLIC_PATH, 'token_revoked');
  });
}
