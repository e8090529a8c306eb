import type { Action } from '../accounts/policy.ts';
import type { StatementStatus } from './statement.ts';

export const TRANSITIONS = [
  'submit',
  'publish',
  'schedule',
  'return_to_draft',
  'unpublish',
  'archive',
] as const;
export type Transition = (typeof TRANSITIONS)[number];

export function isTransition(value: string): value is Transition {
  return (TRANSITIONS as readonly string[]).includes(value);
}

interface TransitionRule {
  from: StatementStatus[];
  to: StatementStatus;
  action: Action;
  label: string;
}

/** The workflow: draft → submitted → published or scheduled → unpublished or archived. */
export const TRANSITION_RULES: Record<Transition, TransitionRule> = {
  submit: {
    from: ['draft'],
    to: 'submitted',
    action: 'statement.submit',
    label: 'Submit for review',
  },
  publish: {
    from: ['draft', 'submitted', 'scheduled', 'unpublished'],
    to: 'published',
    action: 'statement.publish',
    label: 'Publish now',
  },
  schedule: {
    from: ['draft', 'submitted', 'unpublished'],
    to: 'scheduled',
    action: 'statement.publish',
    label: 'Schedule',
  },
  return_to_draft: {
    from: ['submitted', 'scheduled', 'unpublished', 'archived'],
    to: 'draft',
    action: 'statement.submit',
    label: 'Return to draft',
  },
  unpublish: {
    from: ['published'],
    to: 'unpublished',
    action: 'statement.unpublish',
    label: 'Unpublish',
  },
  archive: {
    from: ['published', 'unpublished'],
    to: 'archived',
    action: 'statement.archive',
    label: 'Archive',
  },
};

/** The transitions open from a status, before asking who may take them. */
export function transitionsFrom(status: StatementStatus): Transition[] {
  return TRANSITIONS.filter((transition) => TRANSITION_RULES[transition].from.includes(status));
}
