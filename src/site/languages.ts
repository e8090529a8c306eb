const RIGHT_TO_LEFT = new Set([
  'ar',
  'arc',
  'ckb',
  'dv',
  'fa',
  'he',
  'ks',
  'ps',
  'sd',
  'ug',
  'ur',
  'yi',
]);

/** The writing direction of a language, for `dir`. */
export function textDirection(language: string): 'rtl' | 'ltr' {
  const base = language.toLowerCase().split('-')[0] ?? '';
  return RIGHT_TO_LEFT.has(base) ? 'rtl' : 'ltr';
}

const regionNames = new Map<string, Intl.DisplayNames>();
const languageNames = new Map<string, Intl.DisplayNames>();

function displayNames(
  cache: Map<string, Intl.DisplayNames>,
  locale: string,
  type: 'region' | 'language',
) {
  let names = cache.get(locale);
  if (names === undefined) {
    names = new Intl.DisplayNames([locale, 'en'], { type, fallback: 'code' });
    cache.set(locale, names);
  }
  return names;
}

/** A country's name in the page's language, from its ISO 3166-1 code. */
export function countryName(code: string, locale: string): string {
  return displayNames(regionNames, locale, 'region').of(code) ?? code;
}

/** A language's own name for itself (e.g. "العربية"), for language links. */
export function nativeLanguageName(language: string): string {
  return displayNames(languageNames, language, 'language').of(language) ?? language;
}
