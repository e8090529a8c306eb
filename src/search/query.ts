/** The longest search a visitor may type, in characters. */
export const MAX_QUERY_LENGTH = 200;
/** At most this many words are searched for; the rest are ignored. */
export const MAX_QUERY_WORDS = 32;

/** One thing to find: a single word, or several words that must appear in this order. */
export interface QueryPart {
  words: string[];
  phrase: boolean;
}

export type ParsedQuery =
  | { kind: 'empty' }
  | { kind: 'too-long'; max: number }
  | { kind: 'terms'; parts: QueryPart[] };

// Boolean keywords of either engine, dropped when typed in capitals as operators.
const OPERATOR_WORDS = new Set(['AND', 'OR', 'NOT', 'NEAR']);
// Letters, combining marks and digits make words; every other character (all operators) separates them.
const WORD = /[\p{L}\p{M}\p{N}]+/gu;
// Control and format characters, unpaired surrogates and the private sentinels never reach an engine.
const CONTROL = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}]/gu;
const QUOTES = /[“”„«»]/g;

function wordsOf(text: string): string[] {
  return (text.match(WORD) ?? []).filter((word) => !OPERATOR_WORDS.has(word));
}

/**
 * Turns what a visitor typed into words and "quoted phrases", with no operator of either engine left.
 * Pure: never throws; the caller maps `too-long` to a 400 and `empty` to a page without results.
 */
export function parseQuery(input: unknown): ParsedQuery {
  if (typeof input !== 'string') return { kind: 'empty' };
  if ([...input].length > MAX_QUERY_LENGTH) return { kind: 'too-long', max: MAX_QUERY_LENGTH };
  const text = input.normalize('NFC').replace(CONTROL, ' ').replace(QUOTES, '"');
  const parts: QueryPart[] = [];
  const seen = new Set<string>();
  let count = 0;
  const add = (words: string[], phrase: boolean) => {
    const kept = words.slice(0, Math.max(0, MAX_QUERY_WORDS - count));
    if (kept.length === 0) return;
    const isPhrase = phrase && kept.length > 1;
    const key = `${isPhrase ? 'p' : 'w'}:${kept.join(' ').toLowerCase()}`;
    if (seen.has(key)) return;
    seen.add(key);
    count += kept.length;
    parts.push({ words: kept, phrase: isPhrase });
  };
  const segments = text.split('"');
  // An odd number of quotes leaves the last segment unbalanced: its words count singly.
  const balanced = segments.length % 2 === 1;
  segments.forEach((segment, index) => {
    const quoted = index % 2 === 1 && (balanced || index < segments.length - 1);
    if (quoted) add(wordsOf(segment), true);
    else for (const word of wordsOf(segment)) add([word], false);
  });
  return parts.length === 0 ? { kind: 'empty' } : { kind: 'terms', parts };
}

/** A string as one FTS5 string literal: wrapped in double quotes, inner quotes doubled. */
export function fts5Quote(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/**
 * The FTS5 MATCH expression: only quoted strings separated by spaces (implicit AND),
 * so nothing a visitor types can become an FTS5 operator. `fold` adapts words to the index.
 */
export function toFts5Match(parts: QueryPart[], fold: (word: string) => string = (w) => w): string {
  return parts.map((part) => fts5Quote(part.words.map(fold).join(' '))).join(' ');
}

/** Text as HTML, with the engine's highlight sentinels turned into balanced `<mark>` elements. */
export function highlightToHtml(text: string, open = '\u0001', close = '\u0002'): string {
  let html = '';
  let marked = false;
  for (const char of text) {
    if (char === open) {
      if (!marked) html += '<mark>';
      marked = true;
    } else if (char === close) {
      if (marked) html += '</mark>';
      marked = false;
    } else if (char === '&') html += '&amp;';
    else if (char === '<') html += '&lt;';
    else if (char === '>') html += '&gt;';
    else if (char === '"') html += '&quot;';
    else if (char === "'") html += '&#39;';
    else html += char;
  }
  return marked ? `${html}</mark>` : html;
}
