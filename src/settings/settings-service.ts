import { readFileSync } from 'node:fs';
import path from 'node:path';
import { can } from '../accounts/policy.ts';
import type { User } from '../accounts/user.ts';
import { type AuditActor, recordAudit } from '../audit/audit-log.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import { DEFAULT_THEME_DIR } from '../site/theme.ts';
import { bumpContentVersion, readSettings, writeSettings } from './settings-repository.ts';
import {
  isValidLanguageTag,
  SETTING_KEYS,
  SettingsValidationError,
  type SiteSettings,
  validateSettings,
} from './site-settings.ts';

/** Who is changing the settings. */
export interface SettingsEditor {
  user: User;
  audit: AuditActor;
}

/** The settings form as submitted: every field as typed. */
export interface SettingsDraft {
  title: string;
  intro: string;
  aboutLabel: string;
  aboutPath: string;
  language: string;
  languages: string;
  timezone: string;
  perPage: string;
  excerptWords: string;
  untranslated: string;
  labels: string;
}

/** Settings that cannot be saved, with a message per form field (named as in the form). */
export class SettingsInputError extends Error {
  readonly fields: Record<string, string>;
  constructor(fields: Record<string, string>) {
    super(Object.values(fields).join(' '));
    this.name = 'SettingsInputError';
    this.fields = fields;
  }
}

export class SettingsForbiddenError extends Error {
  constructor() {
    super('Only administrators may change the site settings.');
    this.name = 'SettingsForbiddenError';
  }
}

const MAX_INTRO_LENGTH = 20_000;
const MAX_ABOUT_LABEL_LENGTH = 100;
const MAX_ABOUT_PATH_LENGTH = 500;
const MAX_LABEL_TEXT_LENGTH = 500;

let defaultLabels: Record<string, string> | undefined;

/** The interface labels a site may override, with the default theme's English text. */
export function knownLabels(): Record<string, string> {
  defaultLabels ??= JSON.parse(
    readFileSync(path.join(DEFAULT_THEME_DIR, 'locales', 'en.json'), 'utf8'),
  ) as Record<string, string>;
  return defaultLabels;
}

/** Time zones for a select: UTC, every zone Intl supports, and the current one if it is an alias. */
export function timeZoneOptions(current: string): string[] {
  const zones = Intl.supportedValuesOf('timeZone');
  const options = ['UTC', ...zones.filter((zone) => zone !== 'UTC')];
  if (current !== '' && !options.includes(current)) options.unshift(current);
  return options;
}

export function labelsToText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, text]) => `${key} = ${text}`)
    .join('\n');
}

/** The form's view of stored settings. */
export function settingsDraftOf(settings: SiteSettings): SettingsDraft {
  return {
    title: settings.title,
    intro: settings.introMd,
    aboutLabel: settings.aboutLabel,
    aboutPath: settings.aboutPath,
    language: settings.language,
    languages: settings.languages.join(', '),
    timezone: settings.timezone,
    perPage: String(settings.perPage),
    excerptWords: String(settings.excerptWords),
    untranslated: settings.untranslated,
    labels: labelsToText(settings.labels),
  };
}

function parseLabels(text: string, errors: Record<string, string>): Record<string, string> {
  const known = knownLabels();
  const labels: Record<string, string> = {};
  const firstLine = new Map<string, number>();
  const problems: string[] = [];
  text.split(/\r\n?|\n/).forEach((raw, index) => {
    const line = raw.trim();
    const number = index + 1;
    if (line === '' || line.startsWith('#')) return;
    const equals = line.indexOf('=');
    if (equals < 0) {
      problems.push(`Line ${number} (“${line}”) must look like key = text.`);
      return;
    }
    const key = line.slice(0, equals).trim();
    const value = line.slice(equals + 1).trim();
    if (!Object.hasOwn(known, key)) {
      problems.push(`Line ${number}: “${key}” is not a label key; the keys are listed below.`);
    } else if (firstLine.has(key)) {
      problems.push(`Line ${number}: “${key}” is already set on line ${firstLine.get(key)}.`);
    } else if (value === '') {
      problems.push(`Line ${number}: give the text for “${key}” after the =.`);
    } else if (value.length > MAX_LABEL_TEXT_LENGTH) {
      problems.push(
        `Line ${number}: the text for “${key}” can be at most ${MAX_LABEL_TEXT_LENGTH} characters.`,
      );
    } else {
      firstLine.set(key, number);
      labels[key] = value;
    }
  });
  if (problems.length > 0) errors.labels = problems.join(' ');
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

function parseWholeNumber(text: string): number {
  return /^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
}

function canonicalTag(tag: string): string {
  return isValidLanguageTag(tag) ? (Intl.getCanonicalLocales(tag)[0] ?? tag) : tag;
}

/** Which form field and which settings key each validateSettings field name stands for. */
const VALIDATED_FIELDS: Record<string, { key: keyof SiteSettings; label: string }> = {
  title: { key: 'title', label: 'The site title' },
  language: { key: 'language', label: 'The default language' },
  languages: { key: 'languages', label: 'The list of languages' },
  timezone: { key: 'timezone', label: 'The time zone' },
  per_page: { key: 'perPage', label: 'Items per page' },
  excerpt_words: { key: 'excerptWords', label: 'The excerpt length' },
  about_path: { key: 'aboutPath', label: 'The about link address' },
};

const FORM_FIELD_OF: Partial<Record<keyof SiteSettings, string>> = {
  title: 'title',
  introMd: 'intro',
  aboutLabel: 'about_label',
  aboutPath: 'about_path',
  language: 'language',
  languages: 'languages',
  timezone: 'timezone',
  perPage: 'per_page',
  excerptWords: 'excerpt_words',
  untranslated: 'untranslated',
  labels: 'labels',
};

/** Turns the form into settings, or throws SettingsInputError with a message for every bad field. */
export function parseSettingsDraft(draft: SettingsDraft, current: SiteSettings): SiteSettings {
  const errors: Record<string, string> = {};
  const language = canonicalTag(draft.language.trim());
  const languages = [
    ...new Set(
      draft.languages
        .split(/[\s,]+/)
        .filter((tag) => tag !== '')
        .map(canonicalTag),
    ),
  ];
  if (languages.length === 0) errors.languages = 'List at least one language, e.g. en, ar, es.';
  else if (
    isValidLanguageTag(language) &&
    languages.every(isValidLanguageTag) &&
    !languages.includes(language)
  )
    errors.languages = `The list must include the default language (${language}).`;

  const introMd = draft.intro.replace(/\r\n?/g, '\n').trim();
  if (introMd.length > MAX_INTRO_LENGTH)
    errors.intro = `The introduction can be at most ${MAX_INTRO_LENGTH.toLocaleString('en')} characters.`;
  const aboutLabel = draft.aboutLabel.trim();
  if (aboutLabel.length > MAX_ABOUT_LABEL_LENGTH)
    errors.about_label = `The about link text can be at most ${MAX_ABOUT_LABEL_LENGTH} characters.`;
  const aboutPath = draft.aboutPath.trim();
  if (
    aboutPath.startsWith('//') ||
    /\s/.test(aboutPath) ||
    aboutPath.length > MAX_ABOUT_PATH_LENGTH
  )
    errors.about_path = 'The about link address must be a path on this site, such as /about.';
  const labels = parseLabels(draft.labels, errors);

  const candidate: SiteSettings = {
    title: draft.title.trim(),
    introMd,
    aboutLabel,
    aboutPath,
    language,
    languages,
    timezone: draft.timezone.trim(),
    perPage: parseWholeNumber(draft.perPage),
    excerptWords: parseWholeNumber(draft.excerptWords),
    untranslated: draft.untranslated === 'hide' ? 'hide' : 'original',
    labels,
  };

  // validateSettings stops at the first bad field; swapping each bad one for its stored value finds the rest.
  const probe: SiteSettings = { ...candidate };
  for (const [key, field] of Object.entries(FORM_FIELD_OF) as [keyof SiteSettings, string][]) {
    if (errors[field] !== undefined) Object.assign(probe, { [key]: current[key] });
  }
  for (let attempt = 0; attempt <= SETTING_KEYS.length; attempt += 1) {
    try {
      validateSettings(probe);
      break;
    } catch (error) {
      if (!(error instanceof SettingsValidationError)) throw error;
      const known = VALIDATED_FIELDS[error.field];
      const problem = error.message.slice(error.field.length + 1);
      if (known === undefined) {
        errors[error.field] = `${error.field} ${problem}.`;
        break;
      }
      errors[error.field] ??= `${known.label} ${problem}.`;
      Object.assign(probe, { [known.key]: current[known.key] });
    }
  }
  if (Object.keys(errors).length > 0) {
    // Messages in the order the fields appear on the form.
    const order = Object.values(FORM_FIELD_OF);
    const sorted = Object.entries(errors).sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
    throw new SettingsInputError(Object.fromEntries(sorted));
  }
  return candidate;
}

/** Saves the settings form; returns the keys that changed (none: nothing is written). */
export async function updateSettings(
  handle: DatabaseHandle,
  editor: SettingsEditor,
  draft: SettingsDraft,
  now = new Date(),
): Promise<(keyof SiteSettings)[]> {
  if (!can(editor.user, 'settings.manage')) throw new SettingsForbiddenError();
  return handle.db.transaction().execute(async (trx) => {
    const current = await readSettings(trx);
    const next = validateSettings(parseSettingsDraft(draft, current));
    const changed = SETTING_KEYS.filter(
      (key) => JSON.stringify(current[key]) !== JSON.stringify(next[key]),
    );
    if (changed.length === 0) return changed;
    await writeSettings(
      trx,
      Object.fromEntries(changed.map((key) => [key, next[key]])) as Partial<SiteSettings>,
    );
    await recordAudit(trx, editor.audit, 'settings.updated', null, { changed }, now);
    await bumpContentVersion(trx);
    return changed;
  });
}
