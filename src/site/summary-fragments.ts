import type { StatementListing } from '../statements/index.ts';
import { presentStatementSummary } from './site-presenter.ts';
import type { SiteState } from './site-state.ts';
import type { Labels, Theme } from './theme.ts';

const SUMMARY_PARTIAL = 'partials/statement-summary';
// About 1-2 KB each: a few megabytes, enough for every statement listed on a busy site's first pages.
const CAPACITY = 5000;
// Label sets remembered: one per language, and a new one each time a site's labels are edited.
const LABEL_SETS = 100;

/** A listed statement as templates see it: its fields and its summary, rendered. */
export type ListedStatement = ReturnType<typeof presentStatementSummary> & { html: string };

/**
 * Renders `partials/statement-summary` for listings, once per shown content: Liquid is most of a
 * listing's render time, and the statements of one page are listed again on other pages and after
 * every publish empties the page cache. The key holds everything the partial sees, so nothing
 * stale can be shown: the presented statement, the heading level, the page's language and
 * direction, and the labels.
 */
export class SummaryFragments {
  readonly #theme: Theme;
  // Least recently used first: a Map keeps insertion order, and a hit is moved to the end.
  readonly #html = new Map<string, string>();
  readonly #labelKeys = new WeakMap<Labels, number>();
  // Each distinct set of labels gets a short number, so a content change keeps the same keys.
  readonly #labelNumbers = new Map<string, number>();
  #nextLabelNumber = 0;

  constructor(theme: Theme) {
    this.#theme = theme;
  }

  list(statements: StatementListing[], state: SiteState, headingLevel: number): ListedStatement[] {
    const labelsKey = this.#labelsKey(state.labels);
    const page = { language: state.settings.language, dir: state.direction };
    return statements.map((statement) => {
      const summary = presentStatementSummary(statement, state);
      const key = JSON.stringify([labelsKey, headingLevel, page.language, page.dir, summary]);
      let html = this.#html.get(key);
      if (html === undefined) {
        html = this.#theme.render(SUMMARY_PARTIAL, {
          statement: summary,
          heading_level: headingLevel,
          labels: state.labels,
          page,
        });
        if (this.#html.size >= CAPACITY) this.#evictOldest();
      } else {
        this.#html.delete(key);
      }
      this.#html.set(key, html);
      return { ...summary, html };
    });
  }

  #evictOldest(): void {
    const oldest = this.#html.keys().next();
    if (oldest.done !== true) this.#html.delete(oldest.value);
  }

  // Labels come as one object per language and content version: serialised once, not per statement.
  #labelsKey(labels: Labels): number {
    let key = this.#labelKeys.get(labels);
    if (key === undefined) {
      const text = JSON.stringify(labels);
      key = this.#labelNumbers.get(text);
      if (key === undefined) {
        // Numbers are never reused, so forgetting old label sets cannot match a stale summary.
        if (this.#labelNumbers.size >= LABEL_SETS) this.#labelNumbers.clear();
        key = this.#nextLabelNumber++;
        this.#labelNumbers.set(text, key);
      }
      this.#labelKeys.set(labels, key);
    }
    return key;
  }
}
