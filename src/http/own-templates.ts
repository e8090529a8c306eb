import { Liquid } from 'liquidjs';

/**
 * A Liquid engine for templates that ship with Communiqué (back office, API reference), not a
 * site theme: output is escaped unless marked otherwise, an unknown filter is an error, and only
 * a context object's own properties are readable.
 */
export function ownTemplateEngine(viewsDir: string): Liquid {
  return new Liquid({
    root: viewsDir,
    extname: '.liquid',
    cache: true,
    outputEscape: 'escape',
    strictFilters: true,
    ownPropertyOnly: true,
  });
}
