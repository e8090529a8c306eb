import { fileURLToPath } from 'node:url';
import { ownTemplateEngine } from '../http/own-templates.ts';

const VIEWS_DIR = fileURLToPath(new URL('./views/', import.meta.url));
export const ADMIN_ASSETS_DIR = fileURLToPath(new URL('./assets/', import.meta.url));

/** The back office's own templates: not part of a site theme, so a theme cannot weaken them. */
export class AdminViews {
  readonly #engine = ownTemplateEngine(VIEWS_DIR);

  render(template: string, context: Record<string, unknown>): Promise<string> {
    return this.#engine.renderFile(template, context);
  }
}
