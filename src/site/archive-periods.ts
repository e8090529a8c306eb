import { zonedLocalToInstant } from '../content/zoned-time.ts';

/** The instants that start and end a calendar year or month in the site's time zone. */
export function periodBounds(
  timeZone: string,
  year: number,
  month: number | null,
): { from: Date; to: Date } {
  const start =
    month === null ? `${year}-01-01T00:00` : `${year}-${String(month).padStart(2, '0')}-01T00:00`;
  const nextYear = month === null || month === 12 ? year + 1 : year;
  const nextMonth = month === null || month === 12 ? 1 : month + 1;
  const end = `${nextYear}-${String(nextMonth).padStart(2, '0')}-01T00:00`;
  const from = zonedLocalToInstant(start, timeZone);
  const to = zonedLocalToInstant(end, timeZone);
  if (from === null || to === null) throw new Error(`No such period: ${year}-${month ?? ''}`);
  return { from, to };
}

/** The calendar year of an instant in a time zone. */
export function yearInZone(instant: Date, timeZone: string): number {
  return Number(new Intl.DateTimeFormat('en', { timeZone, year: 'numeric' }).format(instant));
}

/** "May 2025" in the page's language. */
export function monthName(year: number, month: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, {
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(new Date(Date.UTC(year, month - 1, 15)));
}
