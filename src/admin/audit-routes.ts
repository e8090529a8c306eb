import type { FastifyInstance } from 'fastify';
import { findAuditEntries } from '../accounts/account-service.ts';
import { readSettings } from '../settings/index.ts';
import type { AdminDependencies } from './admin-context.ts';
import { renderAdmin } from './admin-context.ts';

const PER_PAGE = 50;

/** The filter choices: only these prefixes are accepted, so the query never sees free text. */
const ACTION_FILTERS = [
  { value: 'login.', label: 'Sign-ins' },
  { value: 'logout', label: 'Sign-outs' },
  { value: 'user.', label: 'Accounts' },
  { value: 'statement.', label: 'Statements' },
  { value: 'organisation.', label: 'Organisations' },
  { value: 'page.', label: 'Pages' },
  { value: 'settings.', label: 'Settings' },
  { value: 'media.', label: 'Media' },
  { value: 'webhook.', label: 'Webhooks' },
] as const;

// 'sv-SE' writes dates as YYYY-MM-DD HH:MM:SS, unambiguous for an international team.
function timeFormatter(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(describeValue).join(', ');
  return JSON.stringify(value);
}

/** The audit log: who did what, when and from where. */
export function registerAuditRoutes(admin: FastifyInstance, deps: AdminDependencies): void {
  admin.get<{ Querystring: Record<string, string | undefined> }>(
    '/audit',
    { config: { action: 'audit.view' } },
    async (request, reply) => {
      const query = request.query;
      const filter = ACTION_FILTERS.find((option) => option.value === query.action) ?? null;
      const requestedPage =
        query.page !== undefined && /^\d{1,6}$/.test(query.page) ? Number(query.page) : 1;
      const page = Math.max(1, requestedPage);
      const settings = await readSettings(deps.handle.db);
      const { entries, total } = await findAuditEntries(deps.handle.db, {
        actionPrefix: filter?.value ?? null,
        limit: PER_PAGE,
        offset: (page - 1) * PER_PAGE,
      });
      const pages = Math.max(1, Math.ceil(total / PER_PAGE));
      const pageLink = (target: number) => {
        const params = new URLSearchParams();
        if (filter !== null) params.set('action', filter.value);
        if (target > 1) params.set('page', String(target));
        const text = params.toString();
        return `/admin/audit${text ? `?${text}` : ''}`;
      };
      const format = timeFormatter(settings.timezone);
      return renderAdmin(deps, request, reply, 'audit', {
        title: 'Audit log',
        timezone: settings.timezone,
        filters: ACTION_FILTERS,
        filter: filter?.value ?? '',
        total,
        entries: entries.map((entry) => ({
          at: format.format(entry.at),
          at_iso: entry.at.toISOString(),
          who: entry.actorLabel,
          action: entry.action,
          subject:
            entry.subjectType === null
              ? null
              : `${entry.subjectType}${entry.subjectId === null ? '' : ` #${entry.subjectId}`}`,
          subject_link:
            entry.subjectType === 'user' && entry.subjectId !== null
              ? `/admin/users/${entry.subjectId}`
              : entry.subjectType === 'statement' && entry.subjectId !== null
                ? `/admin/statements/${entry.subjectId}`
                : entry.subjectType === 'webhook' && entry.subjectId !== null
                  ? `/admin/webhooks/${entry.subjectId}`
                  : null,
          ip: entry.ip,
          details: Object.entries(entry.detail).map(([key, value]) => ({
            key,
            value: describeValue(value),
          })),
        })),
        pagination: {
          page,
          pages,
          newer: page > 1 ? pageLink(Math.min(page - 1, pages)) : null,
          older: page < pages ? pageLink(page + 1) : null,
        },
      });
    },
  );
}
