import type { StatementStatus } from '../statements/statement.ts';
import type { Actor, User } from './user.ts';

/** Everything the back office lets someone do. */
export const ACTIONS = [
  'backoffice.enter',
  'account.manage_own',
  'statement.list',
  'statement.view',
  'statement.create',
  'statement.edit',
  'statement.submit',
  'statement.publish',
  'statement.unpublish',
  'statement.archive',
  'statement.delete',
  'statement.restore_revision',
  'organisation.manage',
  'page.manage',
  'settings.manage',
  'media.upload',
  'media.list',
  'user.manage',
  'audit.view',
  'webhook.manage',
] as const;
export type Action = (typeof ACTIONS)[number];

/** What a statement rule needs to know about the statement. */
export interface StatementSubject {
  status: StatementStatus;
  signatoryIds: number[];
}

const EDITABLE_BY_CONTRIBUTORS: StatementStatus[] = ['draft', 'submitted'];

function belongsToAny(user: User, organisationIds: number[]): boolean {
  return organisationIds.some((id) => user.organisationIds.includes(id));
}

/** The one place that decides every permission; routes and the Admin API both ask it. */
export function can(actor: Actor, action: Action, subject?: StatementSubject): boolean {
  if (actor === null || actor.disabled) return false;
  const staff = actor.role === 'admin' || actor.role === 'editor';
  switch (action) {
    case 'backoffice.enter':
    case 'account.manage_own':
    case 'statement.list':
    case 'media.list':
    case 'media.upload':
      return true;
    case 'statement.create':
      return staff || actor.organisationIds.length > 0;
    case 'statement.view':
      return staff || (subject !== undefined && belongsToAny(actor, subject.signatoryIds));
    case 'statement.edit':
    case 'statement.submit':
      return (
        staff ||
        (subject !== undefined &&
          belongsToAny(actor, subject.signatoryIds) &&
          EDITABLE_BY_CONTRIBUTORS.includes(subject.status))
      );
    case 'statement.publish':
    case 'statement.unpublish':
    case 'statement.archive':
    case 'statement.restore_revision':
    case 'organisation.manage':
    case 'page.manage':
      return staff;
    case 'statement.delete':
    case 'settings.manage':
    case 'user.manage':
    case 'audit.view':
    case 'webhook.manage':
      return actor.role === 'admin';
  }
}
