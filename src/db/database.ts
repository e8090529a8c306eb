import type { Generated, Kysely, Transaction } from 'kysely';

/** Timestamps are ISO strings on SQLite and Date objects on PostgreSQL; read them with `toDate`. */
export type Timestamp = Date | string;

export interface SettingTable {
  key: string;
  value: string;
}

export interface OrganisationTable {
  id: Generated<number>;
  slug: string;
  name: string;
  country: string;
  website: string | null;
  language: string;
  description_md: string;
  description_html: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface StatementTable {
  id: Generated<number>;
  slug: string;
  title: string;
  body_md: string;
  body_html: string;
  summary_md: string | null;
  summary_html: string | null;
  language: string;
  status: string;
  published_at: Timestamp;
  translation_of_id: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface StatementSignatoryTable {
  statement_id: number;
  organisation_id: number;
  position: number;
}

export interface PageTable {
  id: Generated<number>;
  slug: string;
  title: string;
  body_md: string;
  body_html: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface Database {
  settings: SettingTable;
  organisations: OrganisationTable;
  statements: StatementTable;
  statement_signatories: StatementSignatoryTable;
  pages: PageTable;
}

/** A connection or an open transaction: repositories take either. */
export type Queryable = Kysely<Database> | Transaction<Database>;

export function toDate(value: Timestamp): Date {
  return value instanceof Date ? value : new Date(value);
}
