import type { QueryPart } from './query.ts';
import { MARK_CLOSE, MARK_OPEN } from './search-adapter.ts';

/*
 * Snippets for SQLite, made here rather than by FTS5's snippet(): that needs the MATCH again for
 * each row, and FTS5 finding one row's phrase again costs about as much as the whole search.
 * Tokens and folding follow the index (unicode61, remove_diacritics 2, ı/İ as i).
 */

const TOKEN = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;
export const SNIPPET_TOKENS = 32;

/** A word as the index holds it: lower case, no diacritics, dotless ı as i. */
export function foldToken(word: string): string {
  return word.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '').replaceAll('ı', 'i');
}

interface Token {
  start: number;
  end: number;
  folded: string;
}

interface Hit {
  first: number;
  last: number;
  part: number;
}

function hitsOf(tokens: Token[], parts: QueryPart[]): Hit[] {
  const hits: Hit[] = [];
  parts.forEach((part, index) => {
    const words = part.words.flatMap((word) => (word.match(TOKEN) ?? []).map(foldToken));
    if (words.length === 0) return;
    for (let first = 0; first + words.length <= tokens.length; first++) {
      if (words.every((word, offset) => tokens[first + offset]?.folded === word))
        hits.push({ first, last: first + words.length - 1, part: index });
    }
  });
  return hits.sort((a, b) => a.first - b.first);
}

/**
 * Up to `SNIPPET_TOKENS` words of `text` around the window with the most different parts of the
 * query (then the most matches), matches between MARK_OPEN and MARK_CLOSE, "…" where text is cut.
 */
export function makeSnippet(body: string, parts: QueryPart[]): string {
  const text = body.replaceAll(MARK_OPEN, ' ').replaceAll(MARK_CLOSE, ' ');
  const tokens: Token[] = [...text.matchAll(TOKEN)].map((match) => ({
    start: match.index,
    end: match.index + match[0].length,
    folded: foldToken(match[0]),
  }));
  if (tokens.length === 0) return '';
  const hits = hitsOf(tokens, parts);
  const width = Math.min(SNIPPET_TOKENS, tokens.length);
  let best = { start: 0, score: -1 };
  for (const hit of hits) {
    // The match in the middle of the window, as FTS5 places it.
    const span = hit.last - hit.first + 1;
    const start = Math.max(
      0,
      Math.min(tokens.length - width, hit.first - Math.floor((width - span) / 2)),
    );
    const inside = hits.filter((other) => other.first >= start && other.last < start + width);
    const score = new Set(inside.map((other) => other.part)).size * 1000 + inside.length;
    if (score > best.score) best = { start, score };
  }
  const end = best.start + width - 1;
  let snippet = best.start > 0 ? '…' : '';
  let cursor = tokens[best.start]?.start ?? 0;
  for (const hit of hits) {
    if (hit.first < best.start || hit.last > end) continue;
    const open = tokens[hit.first]?.start ?? cursor;
    if (open < cursor) continue;
    snippet += text.slice(cursor, open) + MARK_OPEN;
    cursor = tokens[hit.last]?.end ?? open;
    snippet += text.slice(open, cursor) + MARK_CLOSE;
  }
  if (end >= tokens.length - 1) return snippet + text.slice(cursor);
  return `${snippet}${text.slice(cursor, tokens[end]?.end ?? text.length)}…`;
}
