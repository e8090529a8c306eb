import type { StatementListing } from '../statements/index.ts';
import { chooseExcerpt } from '../statements/index.ts';

const CAPACITY = 20_000;
const excerpts = new Map<string, string>();

/** A statement's excerpt, computed once per saved version and word limit: segmenting words is the costly part of a listing. */
export function cachedExcerpt(statement: StatementListing, words: number): string {
  const key = `${statement.id}:${statement.updatedAt.getTime()}:${words}`;
  let html = excerpts.get(key);
  if (html === undefined) {
    html = chooseExcerpt(
      { summaryHtml: statement.summaryHtml, bodyHtml: statement.bodyHtml },
      { words, locale: statement.language },
    ).html;
    if (excerpts.size >= CAPACITY) excerpts.clear();
    excerpts.set(key, html);
  }
  return html;
}
