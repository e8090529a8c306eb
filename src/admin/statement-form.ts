import { zonedLocalToInstant } from '../content/zoned-time.ts';
import type { StatementDraft } from '../statements/statement-service.ts';

export const SIGNATORY_SLOTS = 6;

function field(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  return typeof value === 'string' ? value : '';
}

/** Reads the statement editor's form into a draft; validation happens in the service. */
export function readStatementForm(
  body: Record<string, unknown>,
  timeZone: string,
): StatementDraft & { dateText: string } {
  const signatoryIds: number[] = [];
  for (let slot = 1; slot <= SIGNATORY_SLOTS; slot += 1) {
    const raw = field(body, `signatory_${slot}`);
    if (/^\d{1,9}$/.test(raw)) signatoryIds.push(Number(raw));
  }
  const dateText = field(body, 'date');
  return {
    title: field(body, 'title'),
    slug: field(body, 'slug'),
    bodyMd: field(body, 'body').replace(/\r\n?/g, '\n'),
    summaryMd: field(body, 'summary').replace(/\r\n?/g, '\n'),
    language: field(body, 'language').trim(),
    publishedAt: zonedLocalToInstant(dateText, timeZone),
    signatoryIds,
    dateText,
  };
}

export function readVersion(body: Record<string, unknown>): number {
  const raw = field(body, 'version');
  return /^\d{1,9}$/.test(raw) ? Number(raw) : -1;
}
