/** The site-wide settings an editor controls, with their defaults. */
export interface SiteSettings {
  title: string;
  introMd: string;
  aboutLabel: string;
  aboutPath: string;
  language: string;
  languages: string[];
  timezone: string;
  perPage: number;
  excerptWords: number;
  /** What a language's listings do with statements not translated into it: show the original, or hide them. */
  untranslated: 'original' | 'hide';
  /** Overrides for interface labels, by key (see the theme's locales). */
  labels: Record<string, string>;
}

export const DEFAULT_SETTINGS: SiteSettings = {
  title: 'Communiqué',
  introMd: '',
  aboutLabel: 'Find out more',
  aboutPath: '/about',
  language: 'en',
  languages: ['en'],
  timezone: 'UTC',
  perPage: 10,
  excerptWords: 150,
  untranslated: 'original',
  labels: {},
};

export const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as (keyof SiteSettings)[];

export class SettingsValidationError extends Error {
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`${field} ${problem}`);
    this.name = 'SettingsValidationError';
    this.field = field;
  }
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function isValidLanguageTag(tag: string): boolean {
  try {
    return (
      Intl.getCanonicalLocales(tag).length === 1 && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(tag)
    );
  } catch {
    return false;
  }
}

/** Checks a full settings object; throws SettingsValidationError naming the first bad field. */
export function validateSettings(settings: SiteSettings): SiteSettings {
  if (settings.title.trim() === '') throw new SettingsValidationError('title', 'must not be empty');
  if (settings.title.length > 200)
    throw new SettingsValidationError('title', 'must be at most 200 characters');
  if (!isValidLanguageTag(settings.language)) {
    throw new SettingsValidationError(
      'language',
      `is not a BCP 47 language tag: "${settings.language}"`,
    );
  }
  for (const language of settings.languages) {
    if (!isValidLanguageTag(language)) {
      throw new SettingsValidationError(
        'languages',
        `contains "${language}", which is not a BCP 47 language tag`,
      );
    }
  }
  if (!isValidTimeZone(settings.timezone)) {
    throw new SettingsValidationError(
      'timezone',
      `is not an IANA time zone: "${settings.timezone}"`,
    );
  }
  if (!Number.isInteger(settings.perPage) || settings.perPage < 1 || settings.perPage > 100) {
    throw new SettingsValidationError('per_page', 'must be a whole number from 1 to 100');
  }
  if (
    !Number.isInteger(settings.excerptWords) ||
    settings.excerptWords < 10 ||
    settings.excerptWords > 2000
  ) {
    throw new SettingsValidationError('excerpt_words', 'must be a whole number from 10 to 2000');
  }
  if (settings.untranslated !== 'original' && settings.untranslated !== 'hide') {
    throw new SettingsValidationError('untranslated', 'must be "original" or "hide"');
  }
  if (!settings.aboutPath.startsWith('/'))
    throw new SettingsValidationError('about_path', 'must start with /');
  return settings;
}
