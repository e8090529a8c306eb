import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AccountError,
  changeUserRole,
  createUser,
  setUserDisabled,
} from '../accounts/account-service.ts';
import { MAX_PASSWORD_LENGTH, passwordProblem } from '../accounts/password.ts';
import { isPlausibleEmail, isRole, normaliseEmail, ROLES, type User } from '../accounts/user.ts';
import { findUserById, listUsers } from '../accounts/user-repository.ts';
import { listOrganisations, type Organisation } from '../organisations/index.ts';
import {
  type AdminDependencies,
  auditActor,
  redirectWithNotice,
  renderAdmin,
} from './admin-context.ts';
import { AdminHttpError } from './admin-http-error.ts';

type Body = Record<string, unknown>;

const ROLE_LABELS: Record<string, string> = {
  admin: 'Administrator',
  editor: 'Editor',
  contributor: 'Contributor',
};
const ROLE_OPTIONS = ROLES.map((value) => ({ value, label: ROLE_LABELS[value] ?? value }));

function text(body: Body, name: string): string {
  const value = body[name];
  return typeof value === 'string' ? value : '';
}

/** Ticked organisation checkboxes: each is its own field, organisation_<id>, so names stay unique. */
function tickedOrganisations(body: Body): string[] {
  return Object.keys(body)
    .map((name) => /^organisation_(\d{1,9})$/.exec(name)?.[1])
    .filter((id): id is string => id !== undefined);
}

function userId(raw: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw new AdminHttpError(404, 'There is no such user.');
  return Number(raw);
}

function signedIn(request: FastifyRequest): User {
  if (request.actor === null) throw new AdminHttpError(401, 'Please sign in again.');
  return request.actor;
}

/** Organisation ids from checkboxes; unknown ids become a field error instead of a failed insert. */
function chosenOrganisations(
  body: Body,
  organisations: Organisation[],
  errors: Record<string, string>,
): number[] {
  const known = new Set(organisations.map((organisation) => organisation.id));
  const ids: number[] = [];
  for (const raw of tickedOrganisations(body)) {
    const id = Number(raw);
    if (!known.has(id)) {
      errors.organisations = 'One of the chosen organisations no longer exists. Choose again.';
      continue;
    }
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** Accounts: who may sign in to the back office, with which role and for which organisations. */
export function registerUserRoutes(admin: FastifyInstance, deps: AdminDependencies): void {
  const db = deps.handle.db;
  const action = { config: { action: 'user.manage' as const } };

  const organisationChoices = (organisations: Organisation[], chosen: number[]) =>
    organisations.map((organisation) => ({
      id: organisation.id,
      name: organisation.name,
      checked: chosen.includes(organisation.id),
    }));

  const showNewForm = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values: { email: string; name: string; role: string; organisationIds: number[] },
    errors: Record<string, string> | null,
    status: number,
  ) =>
    renderAdmin(
      deps,
      request,
      reply,
      'user-new',
      {
        title: 'New user',
        values,
        roles: ROLE_OPTIONS,
        organisations: organisationChoices(await listOrganisations(db), values.organisationIds),
        errors,
        max_password: MAX_PASSWORD_LENGTH,
      },
      status,
    );

  const loadUser = async (raw: string) => {
    const user = await findUserById(db, userId(raw));
    if (user === undefined) throw new AdminHttpError(404, 'There is no such user.');
    return user;
  };

  const showEditForm = async (
    request: FastifyRequest,
    reply: FastifyReply,
    user: User,
    values: { role: string; organisationIds: number[] },
    extra: { errors?: Record<string, string>; error?: string },
    status: number,
  ) => {
    const self = signedIn(request).id === user.id;
    return renderAdmin(
      deps,
      request,
      reply,
      'user-edit',
      {
        title: `User: ${user.name}`,
        user: {
          id: user.id,
          name: user.name,
          email: user.email,
          role_label: ROLE_LABELS[user.role] ?? user.role,
          two_factor: user.twoFactorEnabled,
          disabled: user.disabled,
          created: user.createdAt.toISOString().slice(0, 10),
        },
        self,
        values,
        roles: ROLE_OPTIONS,
        organisations: organisationChoices(await listOrganisations(db), values.organisationIds),
        errors: extra.errors ?? null,
        error: extra.error ?? null,
      },
      status,
    );
  };

  admin.get('/users', action, async (request, reply) => {
    const [users, organisations] = await Promise.all([listUsers(db), listOrganisations(db)]);
    const names = new Map(
      organisations.map((organisation) => [organisation.id, organisation.name]),
    );
    return renderAdmin(deps, request, reply, 'users', {
      title: 'Users',
      users: users.map((user) => ({
        id: user.id,
        name: user.name,
        email: user.email,
        role_label: ROLE_LABELS[user.role] ?? user.role,
        organisations: user.organisationIds
          .map((id) => names.get(id))
          .filter((name) => name !== undefined)
          .join(', '),
        two_factor: user.twoFactorEnabled,
        disabled: user.disabled,
      })),
    });
  });

  admin.get('/users/new', action, async (request, reply) =>
    showNewForm(
      request,
      reply,
      { email: '', name: '', role: 'editor', organisationIds: [] },
      null,
      200,
    ),
  );

  admin.post<{ Body: Body }>('/users', action, async (request, reply) => {
    const body = request.body;
    const organisations = await listOrganisations(db);
    const errors: Record<string, string> = {};
    const values = {
      email: text(body, 'email').trim(),
      name: text(body, 'name').trim(),
      role: text(body, 'role'),
      organisationIds: chosenOrganisations(body, organisations, errors),
    };
    const password = text(body, 'password');
    const repeat = text(body, 'password_repeat');
    // Checked here first so every field's problem is shown at once, in words for this form.
    if (!isPlausibleEmail(normaliseEmail(values.email)))
      errors.email = 'Email address: enter an address like name@example.org.';
    if (values.name === '' || values.name.length > 200)
      errors.name = 'Name: enter between 1 and 200 characters.';
    if (!isRole(values.role)) errors.role = 'Role: choose administrator, editor or contributor.';
    const problem = passwordProblem(password, normaliseEmail(values.email));
    if (problem !== null) errors.password = `Initial password: it ${problem}.`;
    else if (repeat !== password)
      errors.password_repeat = 'Initial password again: the two passwords do not match.';
    if (values.role === 'contributor' && values.organisationIds.length === 0)
      errors.organisations ??=
        'Organisations: a contributor needs at least one organisation. Tick one or more.';
    if (Object.keys(errors).length > 0) return showNewForm(request, reply, values, errors, 422);
    const slugs = organisations
      .filter((organisation) => values.organisationIds.includes(organisation.id))
      .map((organisation) => organisation.slug);
    try {
      const id = await createUser(
        deps.handle,
        {
          email: values.email,
          name: values.name,
          role: values.role,
          password,
          organisationSlugs: slugs,
        },
        auditActor(request),
      );
      return redirectWithNotice(reply, `/admin/users/${id}`, 'created');
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      const field = error.field === 'organisation' ? 'organisations' : error.field;
      const label =
        { email: 'Email address', name: 'Name', role: 'Role', password: 'Initial password' }[
          field
        ] ?? 'Organisations';
      return showNewForm(request, reply, values, { [field]: `${label}: ${error.message}.` }, 422);
    }
  });

  admin.get<{ Params: { id: string } }>('/users/:id', action, async (request, reply) => {
    const user = await loadUser(request.params.id);
    return showEditForm(
      request,
      reply,
      user,
      { role: user.role, organisationIds: user.organisationIds },
      {},
      200,
    );
  });

  admin.post<{ Params: { id: string }; Body: Body }>(
    '/users/:id',
    action,
    async (request, reply) => {
      const user = await loadUser(request.params.id);
      const errors: Record<string, string> = {};
      const organisations = await listOrganisations(db);
      const values = {
        role: text(request.body, 'role'),
        organisationIds: chosenOrganisations(request.body, organisations, errors),
      };
      if (!isRole(values.role)) errors.role = 'Role: choose administrator, editor or contributor.';
      else if (signedIn(request).id === user.id && values.role !== 'admin')
        errors.role =
          'Role: you cannot remove your own administrator role. Ask another administrator.';
      if (values.role === 'contributor' && values.organisationIds.length === 0)
        errors.organisations ??=
          'Organisations: a contributor needs at least one organisation. Tick one or more.';
      if (Object.keys(errors).length > 0)
        return showEditForm(request, reply, user, values, { errors }, 422);
      try {
        await changeUserRole(
          deps.handle,
          { userId: user.id, role: values.role, organisationIds: values.organisationIds },
          auditActor(request),
        );
      } catch (error) {
        if (!(error instanceof AccountError)) throw error;
        const field = error.field === 'organisations' ? 'organisations' : 'role';
        return showEditForm(
          request,
          reply,
          user,
          values,
          { errors: { [field]: error.message } },
          422,
        );
      }
      return redirectWithNotice(reply, `/admin/users/${user.id}`, 'saved');
    },
  );

  const setDisabled =
    (disabled: boolean) =>
    async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      const user = await loadUser(request.params.id);
      const current = { role: user.role, organisationIds: user.organisationIds };
      if (disabled && signedIn(request).id === user.id)
        return showEditForm(
          request,
          reply,
          user,
          current,
          { error: 'You cannot disable your own account. Ask another administrator.' },
          422,
        );
      try {
        await setUserDisabled(deps.handle, user.id, disabled, auditActor(request));
      } catch (error) {
        if (!(error instanceof AccountError)) throw error;
        return showEditForm(request, reply, user, current, { error: error.message }, 422);
      }
      return redirectWithNotice(reply, `/admin/users/${user.id}`, 'saved');
    };

  admin.post<{ Params: { id: string } }>('/users/:id/disable', action, setDisabled(true));
  admin.post<{ Params: { id: string } }>('/users/:id/enable', action, setDisabled(false));
}
