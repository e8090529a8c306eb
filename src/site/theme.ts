import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Liquid } from 'liquidjs';

export const DEFAULT_THEME_DIR = fileURLToPath(new URL('../../themes/default/', import.meta.url));

/** Interface labels by key; the site's settings may override any of them. */
export type Labels = Record<string, string>;

function readCatalog(themeDir: string, language: string): Labels {
  const file = path.join(themeDir, 'locales', `${language}.json`);
  if (!statSync(file, { throwIfNoEntry: false })?.isFile()) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Labels;
  } catch (error) {
    throw new Error(
      `The theme's label catalog ${file} is not valid JSON: ${(error as Error).message}`,
    );
  }
}

/** A site's theme: its templates and assets, falling back to the default theme file by file. */
export class Theme {
  readonly #engine: Liquid;
  readonly #folders: string[];
  readonly #catalogs = new Map<string, Labels>();
  readonly #assetVersions = new Map<string, string>();

  constructor(themeDir: string | null) {
    this.#folders = themeDir === null ? [DEFAULT_THEME_DIR] : [themeDir, DEFAULT_THEME_DIR];
    this.#engine = new Liquid({
      root: this.#folders,
      layouts: this.#folders,
      partials: this.#folders,
      extname: '.liquid',
      cache: true,
      outputEscape: 'escape',
      strictFilters: true,
      ownPropertyOnly: true,
    });
  }

  /** Folders that serve /assets/, the site's own first. */
  get assetFolders(): string[] {
    return this.#folders.map((folder) => path.join(folder, 'assets'));
  }

  /** A cache-busting URL for an asset, versioned by its content. */
  assetUrl(file: string): string {
    let version = this.#assetVersions.get(file);
    if (version === undefined) {
      const found = this.assetFolders
        .map((folder) => path.join(folder, file))
        .find((candidate) => statSync(candidate, { throwIfNoEntry: false })?.isFile());
      version = found
        ? createHash('sha256').update(readFileSync(found)).digest('hex').slice(0, 10)
        : 'missing';
      this.#assetVersions.set(file, version);
    }
    return `/assets/${file}?v=${version}`;
  }

  /** Labels for a language: the default theme's English, then that language, then the site theme's. */
  labels(language: string): Labels {
    let labels = this.#catalogs.get(language);
    if (labels === undefined) {
      const base = language.split('-')[0] ?? language;
      labels = {};
      for (const folder of [...this.#folders].reverse()) {
        Object.assign(
          labels,
          readCatalog(folder, 'en'),
          readCatalog(folder, base),
          readCatalog(folder, language),
        );
      }
      this.#catalogs.set(language, labels);
    }
    return labels;
  }

  /** Renders synchronously: half the time of renderFile, which awaits every tag. Never mix the two on one engine. */
  render(template: string, context: Record<string, unknown>): string {
    return this.#engine.renderFileSync(template, context);
  }
}
