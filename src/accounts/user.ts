export const ROLES = ['admin', 'editor', 'contributor'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** A person who signs in to the back office. */
export interface User {
  id: number;
  email: string;
  name: string;
  role: Role;
  /** Organisations a contributor drafts for; empty for editors and admins unless set. */
  organisationIds: number[];
  twoFactorEnabled: boolean;
  disabled: boolean;
  createdAt: Date;
}

/** Whoever makes a request: a signed-in user, or nobody. */
export type Actor = User | null;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isPlausibleEmail(email: string): boolean {
  return email.length <= 320 && EMAIL_PATTERN.test(email);
}
