import { zonedLocalToInstant } from '../content/zoned-time.ts';
import type { StatementDraft } from '../statements/statement-service.ts';
import { formField } from './form-field.ts';

export const SIGNATORY_SLOTS = 6;

/** Reads the statement editor's form into a draft; validation happens in the service. */
export function readStatementForm(
  body: Record<string, unknown>,
  timeZone: string,
): StatementDraft & { dateText: string } {
  const signatoryIds: number[] = [];
  for (let slot = 1; slot <= SIGNATORY_SLOTS; slot += 1) {
    const raw = formField(body, `signatory_${slot}`);
    if (/^\d{1,9}$/.test(raw)) signatoryIds.push(Number(raw));
  }
  const dateText = formField(body, 'date');
  return {
    title: formField(body, 'title'),
    slug: formField(body, 'slug'),
    bodyMd: formField(body, 'body').replace(/\r\n?/g, '\n'),
    summaryMd: formField(body, 'summary').replace(/\r\n?/g, '\n'),
    language: formField(body, 'language').trim(),
    publishedAt: zonedLocalToInstant(dateText, timeZone),
    signatoryIds,
    dateText,
  };
}

export function readVersion(body: Record<string, unknown>): number {
  const raw = formField(body, 'version');
  return /^\d{1,9}$/.test(raw) ? Number(raw) : -1;
}
