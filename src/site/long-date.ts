const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(locale: string, timeZone: string): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}`;
  let formatter = formatters.get(key);
  if (formatter === undefined) {
    formatter = locale.startsWith('en')
      ? new Intl.DateTimeFormat('en-GB', {
          timeZone,
          weekday: 'long',
          day: 'numeric',
          month: 'long',
          year: 'numeric',
        })
      : new Intl.DateTimeFormat(locale, { timeZone, dateStyle: 'full' });
    formatters.set(key, formatter);
  }
  return formatter;
}

const englishOrdinals = new Intl.PluralRules('en', { type: 'ordinal' });
const ENGLISH_SUFFIXES: Record<string, string> = { one: 'st', two: 'nd', few: 'rd', other: 'th' };

/** "Wednesday 21st May 2014" in English; other languages use their own full date form. */
export function formatLongDate(instant: Date, locale: string, timeZone: string): string {
  const formatter = formatterFor(locale, timeZone);
  if (!locale.startsWith('en')) return formatter.format(instant);
  const parts = formatter.formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find((entry) => entry.type === type)?.value ?? '';
  const day = Number(part('day'));
  const suffix = ENGLISH_SUFFIXES[englishOrdinals.select(day)] ?? 'th';
  return `${part('weekday')} ${day}${suffix} ${part('month')} ${part('year')}`;
}

/** The calendar date in the site's time zone, for `<time datetime>`. */
export function isoDateInZone(instant: Date, timeZone: string): string {
  const key = `iso|${timeZone}`;
  let formatter = formatters.get(key);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatters.set(key, formatter);
  }
  return formatter.format(instant);
}
