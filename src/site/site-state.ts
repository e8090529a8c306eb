import { renderMarkdown } from '../content/markdown.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import { readSettings, type SiteSettings } from '../settings/index.ts';
import { countPublishedStatements, type LanguageView } from '../statements/index.ts';
import { textDirection } from './languages.ts';
import { PublishedCounts } from './published-counts.ts';
import type { Labels, Theme } from './theme.ts';

/** What every public page in one language needs, read once per content version. */
export interface SiteState {
  /** The site's settings, with `language` set to the page's language. */
  settings: SiteSettings;
  /** The site's default language, whose pages carry no prefix. */
  defaultLanguage: string;
  /** Every language the site is published in, default first. */
  languages: string[];
  /** '' for the default language, '/es' for Spanish … */
  prefix: string;
  introHtml: string;
  /** The language the intro is written in (the default one). */
  introLanguage: string;
  labels: Labels;
  direction: 'ltr' | 'rtl';
  /** Which statements this language's listings show. */
  view: LanguageView;
  /** Statements on this language's front page; read again after every content change. */
  publishedCount: number;
  /** Other counts (archive periods, organisations), read when first needed in this content version. */
  counts: PublishedCounts;
}

/** Fills `{name}` placeholders in a label. */
export function formatLabel(label: string, values: Record<string, string | number>): string {
  return label.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

/** The URL prefix of a language's pages. */
export function languagePrefix(language: string, defaultLanguage: string): string {
  return language === defaultLanguage ? '' : `/${language.toLowerCase()}`;
}

interface SharedState {
  settings: SiteSettings;
  languages: string[];
  introHtml: string;
  byLanguage: Map<string, Promise<SiteState>>;
}

/** Holds the site state per language and forgets it when content changes. */
export class SiteStateStore {
  readonly #handle: DatabaseHandle;
  readonly #theme: Theme;
  readonly #onLanguages: (languages: string[], defaultLanguage: string) => void;
  #shared: Promise<SharedState> | undefined;

  constructor(
    handle: DatabaseHandle,
    theme: Theme,
    onLanguages: (languages: string[], defaultLanguage: string) => void = () => {},
  ) {
    this.#handle = handle;
    this.#theme = theme;
    this.#onLanguages = onLanguages;
  }

  /** The state for a language of the site; any other language gets the default one. */
  async get(language?: string): Promise<SiteState> {
    const shared = await this.#loadShared();
    const wanted =
      language !== undefined && shared.languages.includes(language)
        ? language
        : shared.settings.language;
    let state = shared.byLanguage.get(wanted);
    if (state === undefined) {
      state = this.#localise(shared, wanted);
      shared.byLanguage.set(wanted, state);
      state.catch(() => shared.byLanguage.delete(wanted));
    }
    return state;
  }

  forget(): void {
    this.#shared = undefined;
  }

  #loadShared(): Promise<SharedState> {
    this.#shared ??= (async () => {
      const settings = await readSettings(this.#handle.db);
      const languages = [
        settings.language,
        ...settings.languages.filter((language) => language !== settings.language),
      ];
      this.#onLanguages(languages, settings.language);
      return {
        settings,
        languages,
        introHtml: renderMarkdown(settings.introMd),
        byLanguage: new Map(),
      };
    })().catch((error: unknown) => {
      this.#shared = undefined;
      throw error;
    });
    return this.#shared;
  }

  async #localise(shared: SharedState, language: string): Promise<SiteState> {
    const { settings } = shared;
    const isDefault = language === settings.language;
    const view: LanguageView = {
      language,
      includeUntranslated: settings.untranslated === 'original',
    };
    // Site-specific label overrides are written in the default language.
    const labels = { ...this.#theme.labels(language), ...(isDefault ? settings.labels : {}) };
    return {
      settings: {
        ...settings,
        language,
        aboutLabel: isDefault ? settings.aboutLabel : (labels.find_out_more ?? settings.aboutLabel),
      },
      defaultLanguage: settings.language,
      languages: shared.languages,
      prefix: languagePrefix(language, settings.language),
      introHtml: shared.introHtml,
      introLanguage: settings.language,
      labels,
      direction: textDirection(language),
      view,
      publishedCount: await countPublishedStatements(this.#handle.db, undefined, view),
      counts: new PublishedCounts(),
    };
  }
}

/** A site path in the state's language: `/organisations` becomes `/es/organisations`, `/` becomes `/es/`. */
export function localPath(state: Pick<SiteState, 'prefix'>, path: string): string {
  if (state.prefix === '') return path;
  return path === '/'
    ? `${state.prefix}/`
    : path.startsWith('/?')
      ? `${state.prefix}${path}`
      : `${state.prefix}${path}`;
}

/** The prefix of the pages in a statement's own language, when the site publishes in it. */
export function prefixOfLanguage(
  state: Pick<SiteState, 'languages' | 'defaultLanguage'>,
  language: string,
): string {
  return state.languages.includes(language) ? languagePrefix(language, state.defaultLanguage) : '';
}
