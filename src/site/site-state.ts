import { renderMarkdown } from '../content/markdown.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import { readSettings, type SiteSettings } from '../settings/index.ts';
import { countPublishedStatements } from '../statements/index.ts';
import { textDirection } from './languages.ts';
import type { Labels, Theme } from './theme.ts';

/** What every public page needs, read once per content version. */
export interface SiteState {
  settings: SiteSettings;
  introHtml: string;
  labels: Labels;
  direction: 'ltr' | 'rtl';
  /** Published statements, for the front page's pagination; read again after every content change. */
  publishedCount: number;
}

/** Fills `{name}` placeholders in a label. */
export function formatLabel(label: string, values: Record<string, string | number>): string {
  return label.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

/** Holds the site state and forgets it when content changes. */
export class SiteStateStore {
  readonly #handle: DatabaseHandle;
  readonly #theme: Theme;
  #current: Promise<SiteState> | undefined;

  constructor(handle: DatabaseHandle, theme: Theme) {
    this.#handle = handle;
    this.#theme = theme;
  }

  get(): Promise<SiteState> {
    this.#current ??= this.#load().catch((error: unknown) => {
      this.#current = undefined;
      throw error;
    });
    return this.#current;
  }

  forget(): void {
    this.#current = undefined;
  }

  async #load(): Promise<SiteState> {
    const [settings, publishedCount] = await Promise.all([
      readSettings(this.#handle.db),
      countPublishedStatements(this.#handle.db),
    ]);
    const labels = { ...this.#theme.labels(settings.language), ...settings.labels };
    return {
      settings,
      introHtml: renderMarkdown(settings.introMd),
      labels,
      direction: textDirection(settings.language),
      publishedCount,
    };
  }
}
