import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  knownLabels,
  readSettings,
  type SettingsDraft,
  SettingsForbiddenError,
  SettingsInputError,
  settingsDraftOf,
  timeZoneOptions,
  updateSettings,
} from '../settings/index.ts';
import {
  type AdminDependencies,
  auditActor,
  redirectWithNotice,
  renderAdmin,
} from './admin-context.ts';
import { AdminHttpError } from './admin-http-error.ts';
import { type FormBody, formField } from './form-field.ts';

type Body = FormBody;

function readSettingsForm(body: Body): SettingsDraft {
  return {
    title: formField(body, 'title'),
    intro: formField(body, 'intro'),
    aboutLabel: formField(body, 'about_label'),
    aboutPath: formField(body, 'about_path'),
    language: formField(body, 'language'),
    languages: formField(body, 'languages'),
    timezone: formField(body, 'timezone'),
    perPage: formField(body, 'per_page'),
    excerptWords: formField(body, 'excerpt_words'),
    untranslated: formField(body, 'untranslated'),
    labels: formField(body, 'labels'),
  };
}

/** The site-wide settings form (administrators only). */
export function registerSettingsRoutes(admin: FastifyInstance, deps: AdminDependencies): void {
  const showForm = (
    request: FastifyRequest,
    reply: FastifyReply,
    values: SettingsDraft,
    extra: Record<string, unknown> = {},
    status = 200,
  ) =>
    renderAdmin(
      deps,
      request,
      reply,
      'settings',
      {
        title: 'Settings',
        values: {
          title: values.title,
          intro: values.intro,
          about_label: values.aboutLabel,
          about_path: values.aboutPath,
          language: values.language,
          languages: values.languages,
          timezone: values.timezone,
          per_page: values.perPage,
          excerpt_words: values.excerptWords,
          untranslated: values.untranslated,
          labels: values.labels,
        },
        time_zones: timeZoneOptions(values.timezone.trim()),
        known_labels: Object.entries(knownLabels()).map(([key, text]) => ({ key, text })),
        ...extra,
      },
      status,
    );

  admin.get('/settings', { config: { action: 'settings.manage' } }, async (request, reply) =>
    showForm(request, reply, settingsDraftOf(await readSettings(deps.handle.db))),
  );

  admin.post<{ Body: Body }>(
    '/settings',
    { config: { action: 'settings.manage' } },
    async (request, reply) => {
      if (request.actor === null) throw new AdminHttpError(401, 'Please sign in again.');
      const draft = readSettingsForm(request.body);
      try {
        await updateSettings(
          deps.handle,
          { user: request.actor, audit: auditActor(request) },
          draft,
        );
      } catch (error) {
        if (error instanceof SettingsInputError)
          return showForm(request, reply, draft, { errors: error.fields }, 422);
        if (error instanceof SettingsForbiddenError) throw new AdminHttpError(403, error.message);
        throw error;
      }
      await deps.contentChanged();
      return redirectWithNotice(reply, '/admin/settings', 'saved');
    },
  );
}
