import type { OrganisationSummary } from '../organisations/index.ts';

export const STATEMENT_STATUSES = [
  'draft',
  'submitted',
  'scheduled',
  'published',
  'unpublished',
  'archived',
] as const;
export type StatementStatus = (typeof STATEMENT_STATUSES)[number];

export function isStatementStatus(value: string): value is StatementStatus {
  return (STATEMENT_STATUSES as readonly string[]).includes(value);
}

/** A statement as the public site lists it. */
export interface StatementListing {
  id: number;
  slug: string;
  title: string;
  language: string;
  bodyHtml: string;
  summaryHtml: string | null;
  publishedAt: Date;
  /** Changes whenever the statement is saved; keys caches of what is derived from it. */
  updatedAt: Date;
  signatories: OrganisationSummary[];
}

/** A whole statement. */
export interface Statement extends StatementListing {
  bodyMd: string;
  summaryMd: string | null;
  status: StatementStatus;
  translationOfId: number | null;
}

/** What is written for a statement, by slug. */
export interface StatementInput {
  slug: string;
  title: string;
  bodyMd: string;
  summaryMd: string | null;
  language: string;
  status: StatementStatus;
  publishedAt: Date;
  /** Organisation ids in signing order. */
  signatoryIds: number[];
  translationOfId: number | null;
}

/** A link to the same statement in another language. */
export interface TranslationLink {
  slug: string;
  title: string;
  language: string;
  /** The version the others were translated from. */
  isOriginal: boolean;
}

/** The statements published just before and after one, for reading on. */
export interface StatementNeighbours {
  newer: { slug: string; title: string; language: string } | null;
  older: { slug: string; title: string; language: string } | null;
}
