import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AccountError,
  accountLockedUntil,
  changeOwnPassword,
  recordWrongCurrentPassword,
} from '../accounts/account-service.ts';
import { SecretKeyUnavailableError } from '../accounts/secret-box.ts';
import { otpauthUri } from '../accounts/totp.ts';
import {
  confirmTwoFactor,
  countRecoveryCodes,
  disableTwoFactor,
  readPendingSetup,
  replaceRecoveryCodes,
  startTwoFactorSetup,
  TwoFactorError,
  twoFactorUnavailableReason,
} from '../accounts/two-factor-service.ts';
import type { User } from '../accounts/user.ts';
import { listOrganisations } from '../organisations/index.ts';
import { readSettings } from '../settings/index.ts';
import {
  type AdminDependencies,
  auditActor,
  redirectWithNotice,
  renderAdmin,
} from './admin-context.ts';
import { AdminHttpError } from './admin-http-error.ts';
import { type FormBody, formField } from './form-field.ts';

type Body = FormBody;

function signedIn(request: FastifyRequest): { user: User; sessionId: string } {
  if (request.actor === null || request.sessionId === null)
    throw new AdminHttpError(401, 'Please sign in again: your session has ended.');
  return { user: request.actor, sessionId: request.sessionId };
}

function minutesUntil(date: Date): number {
  return Math.max(1, Math.ceil((date.getTime() - Date.now()) / 60000));
}

/** A base32 seed in groups of four, easier to type into a phone. */
function groupedSecret(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(' ') ?? secret;
}

/** One's own account: password, two-factor sign-in and recovery codes. */
export function registerAccountRoutes(admin: FastifyInstance, deps: AdminDependencies): void {
  const action = { config: { action: 'account.manage_own' as const } };

  const showAccount = async (
    request: FastifyRequest,
    reply: FastifyReply,
    extra: { errors?: Record<string, string>; error?: string } = {},
    status = 200,
  ) => {
    const { user } = signedIn(request);
    const [organisations, recoveryLeft] = await Promise.all([
      listOrganisations(deps.handle.db),
      user.twoFactorEnabled ? countRecoveryCodes(deps.handle.db, user.id) : Promise.resolve(0),
    ]);
    return renderAdmin(
      deps,
      request,
      reply,
      'account',
      {
        title: 'Your account',
        user: {
          name: user.name,
          email: user.email,
          role: user.role,
          organisations: organisations
            .filter((organisation) => user.organisationIds.includes(organisation.id))
            .map((organisation) => organisation.name),
        },
        two_factor: {
          on: user.twoFactorEnabled,
          recovery_left: recoveryLeft,
          unavailable: user.twoFactorEnabled ? null : twoFactorUnavailableReason(deps.config),
        },
        errors: extra.errors ?? null,
        error: extra.error ?? null,
      },
      status,
    );
  };

  /** Refuses a password check while the account is locked by failed attempts. */
  const refuseWhenLocked = async (request: FastifyRequest, reply: FastifyReply) => {
    const { user } = signedIn(request);
    const until = await accountLockedUntil(deps.handle, user.email);
    if (until === null) return null;
    reply.header('retry-after', String(minutesUntil(until) * 60));
    return showAccount(
      request,
      reply,
      {
        error: `Too many wrong passwords for this account. Try again in ${minutesUntil(until)} minutes.`,
      },
      429,
    );
  };

  const countWrongPassword = (request: FastifyRequest, purpose: string) => {
    const { user } = signedIn(request);
    return recordWrongCurrentPassword(
      deps.handle,
      { userId: user.id, email: user.email, purpose },
      auditActor(request),
    );
  };

  const showSetup = async (
    request: FastifyRequest,
    reply: FastifyReply,
    setup: { secret: string; pending: string },
    error: string | null,
    status: number,
  ) => {
    const { user } = signedIn(request);
    const settings = await readSettings(deps.handle.db);
    return renderAdmin(
      deps,
      request,
      reply,
      'two-factor-setup',
      {
        title: 'Set up two-factor sign-in',
        secret: setup.secret,
        secret_grouped: groupedSecret(setup.secret),
        uri: otpauthUri(setup.secret, settings.title, user.email),
        issuer: settings.title,
        email: user.email,
        pending: setup.pending,
        error,
      },
      status,
    );
  };

  admin.get('/account', action, async (request, reply) => showAccount(request, reply));

  admin.post<{ Body: Body }>('/account/password', action, async (request, reply) => {
    const { user, sessionId } = signedIn(request);
    const currentPassword = formField(request.body, 'current_password');
    const newPassword = formField(request.body, 'new_password');
    const repeat = formField(request.body, 'new_password_repeat');
    const errors: Record<string, string> = {};
    if (currentPassword === '') errors.current_password = 'Enter your current password.';
    if (newPassword === '') errors.new_password = 'Enter a new password.';
    else if (repeat !== newPassword)
      errors.new_password_repeat = 'The new password and its repetition do not match.';
    if (Object.keys(errors).length > 0) return showAccount(request, reply, { errors }, 422);
    const locked = await refuseWhenLocked(request, reply);
    if (locked !== null) return locked;
    try {
      await changeOwnPassword(
        deps.handle,
        { userId: user.id, currentPassword, newPassword, keepSessionId: sessionId },
        auditActor(request),
      );
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      if (error.field === 'current_password') {
        await countWrongPassword(request, 'password change');
        return showAccount(
          request,
          reply,
          { errors: { current_password: 'The current password is not right.' } },
          422,
        );
      }
      return showAccount(request, reply, { errors: { new_password: error.message } }, 422);
    }
    return redirectWithNotice(reply, '/admin/account', 'password');
  });

  admin.post<{ Body: Body }>('/account/two-factor/start', action, async (request, reply) => {
    const { user, sessionId } = signedIn(request);
    if (user.twoFactorEnabled)
      return showAccount(
        request,
        reply,
        { error: 'Two-factor sign-in is already on for your account.' },
        409,
      );
    const unavailable = twoFactorUnavailableReason(deps.config);
    if (unavailable !== null) return showAccount(request, reply, { error: unavailable }, 503);
    const password = formField(request.body, 'password');
    if (password === '')
      return showAccount(
        request,
        reply,
        { errors: { start_password: 'Enter your password to set up two-factor sign-in.' } },
        422,
      );
    const locked = await refuseWhenLocked(request, reply);
    if (locked !== null) return locked;
    const settings = await readSettings(deps.handle.db);
    try {
      const setup = await startTwoFactorSetup(deps.handle, deps.config, {
        user,
        sessionId,
        password,
        issuer: settings.title,
      });
      return showSetup(request, reply, setup, null, 200);
    } catch (error) {
      if (error instanceof SecretKeyUnavailableError)
        return showAccount(request, reply, { error: error.message }, 503);
      if (!(error instanceof TwoFactorError)) throw error;
      if (error.field === 'password') {
        await countWrongPassword(request, 'two-factor setup');
        return showAccount(request, reply, { errors: { start_password: error.message } }, 422);
      }
      return showAccount(request, reply, { error: error.message }, 409);
    }
  });

  admin.post<{ Body: Body }>('/account/two-factor/confirm', action, async (request, reply) => {
    const { user, sessionId } = signedIn(request);
    const pending = formField(request.body, 'pending');
    const code = formField(request.body, 'code').trim();
    try {
      const codes = await confirmTwoFactor(
        deps.handle,
        deps.config,
        { user, sessionId, pending, code },
        auditActor(request),
      );
      // Shown once, never again: only their hashes are kept.
      return renderAdmin(deps, request, reply, 'recovery-codes', {
        title: 'Your recovery codes',
        codes,
        just_enabled: true,
      });
    } catch (error) {
      if (error instanceof SecretKeyUnavailableError)
        return showAccount(request, reply, { error: error.message }, 503);
      if (!(error instanceof TwoFactorError)) throw error;
      if (error.field === 'code') {
        const secret = readPendingSetup(deps.config, pending, user.id, sessionId);
        if (secret !== null)
          return showSetup(request, reply, { secret, pending }, error.message, 422);
      }
      return showAccount(
        request,
        reply,
        { error: error.message },
        error.field === 'two_factor' ? 409 : 400,
      );
    }
  });

  admin.post<{ Body: Body }>('/account/two-factor/disable', action, async (request, reply) => {
    const { user } = signedIn(request);
    if (!user.twoFactorEnabled)
      return showAccount(request, reply, { error: 'Two-factor sign-in is already off.' }, 409);
    const password = formField(request.body, 'password');
    if (password === '')
      return showAccount(
        request,
        reply,
        { errors: { disable_password: 'Enter your password to turn two-factor sign-in off.' } },
        422,
      );
    const locked = await refuseWhenLocked(request, reply);
    if (locked !== null) return locked;
    try {
      await disableTwoFactor(deps.handle, { userId: user.id, password }, auditActor(request));
    } catch (error) {
      if (!(error instanceof TwoFactorError)) throw error;
      await countWrongPassword(request, 'two-factor off');
      return showAccount(request, reply, { errors: { disable_password: error.message } }, 422);
    }
    return redirectWithNotice(reply, '/admin/account', 'two_factor_off');
  });

  admin.post<{ Body: Body }>(
    '/account/two-factor/recovery-codes',
    action,
    async (request, reply) => {
      const { user } = signedIn(request);
      if (!user.twoFactorEnabled)
        return showAccount(request, reply, { error: 'Two-factor sign-in is off.' }, 409);
      const password = formField(request.body, 'password');
      if (password === '')
        return showAccount(
          request,
          reply,
          { errors: { recovery_password: 'Enter your password to make new recovery codes.' } },
          422,
        );
      const locked = await refuseWhenLocked(request, reply);
      if (locked !== null) return locked;
      try {
        const codes = await replaceRecoveryCodes(
          deps.handle,
          { userId: user.id, password },
          auditActor(request),
        );
        return renderAdmin(deps, request, reply, 'recovery-codes', {
          title: 'Your recovery codes',
          codes,
          just_enabled: false,
        });
      } catch (error) {
        if (!(error instanceof TwoFactorError)) throw error;
        if (error.field === 'password') {
          await countWrongPassword(request, 'new recovery codes');
          return showAccount(request, reply, { errors: { recovery_password: error.message } }, 422);
        }
        return showAccount(request, reply, { error: error.message }, 409);
      }
    },
  );
}
