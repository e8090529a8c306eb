import { fileURLToPath } from 'node:url';
import { Liquid } from 'liquidjs';

const VIEWS_DIR = fileURLToPath(new URL('./views/', import.meta.url));
export const ADMIN_ASSETS_DIR = fileURLToPath(new URL('./assets/', import.meta.url));

/** The back office's own templates: not part of a site theme, so a theme cannot weaken them. */
export class AdminViews {
  readonly #engine = new Liquid({
    root: VIEWS_DIR,
    extname: '.liquid',
    cache: true,
    outputEscape: 'escape',
    strictFilters: true,
    ownPropertyOnly: true,
  });

  render(template: string, context: Record<string, unknown>): Promise<string> {
    return this.#engine.renderFile(template, context);
  }
}
