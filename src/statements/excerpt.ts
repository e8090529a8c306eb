import { Parser } from 'htmlparser2';

export interface ExcerptOptions {
  words: number;
  locale: string;
}

export interface Excerpt {
  html: string;
  truncated: boolean;
}

type InlineToken =
  | TextToken
  | { kind: 'open'; name: string; html: string }
  | { kind: 'close'; name: string }
  | { kind: 'br' };

interface Paragraph {
  tokens: InlineToken[];
  text: string;
}

interface TextToken {
  kind: 'text';
  text: string;
}

const ELLIPSIS = ' ...';

const BLOCK_TAGS = new Set([
  'p',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'li',
  'ul',
  'ol',
  'blockquote',
  'hr',
  'div',
  'dl',
  'dt',
  'dd',
  'figure',
  'figcaption',
  'section',
  'article',
  'aside',
  'header',
  'footer',
  'main',
  'nav',
  'details',
  'summary',
  'address',
]);

// Content of these is not prose (code, tabular data, embedded media), so it never reaches the excerpt.
const SKIPPED_TAGS = new Set([
  'pre',
  'table',
  'script',
  'style',
  'template',
  'svg',
  'math',
  'iframe',
  'object',
  'video',
  'audio',
  'noscript',
  'textarea',
  'select',
]);

const KEPT_INLINE_TAGS = new Set([
  'a',
  'em',
  'strong',
  'code',
  's',
  'del',
  'ins',
  'mark',
  'sub',
  'sup',
  'b',
  'i',
  'u',
  'small',
  'abbr',
  'kbd',
  'samp',
  'var',
  'q',
  'cite',
  'dfn',
  'time',
  'span',
]);

// Marks that announce more to come read badly before " ...", so the cut stops in front of them.
const PAUSE_MARKS = new Set([
  ',',
  ';',
  ':',
  '-',
  '‐',
  '–',
  '—',
  '/',
  '(',
  '[',
  '{',
  '“',
  '‘',
  '«',
  '‹',
  '、',
  '，',
  '；',
  '：',
  '「',
  '『',
  '（',
  '【',
  '《',
  '〈',
  '،',
  '؛',
]);

const MAX_CACHED_SEGMENTERS = 32;
const segmenters = new Map<string, Intl.Segmenter>();

function wordSegmenter(locale: string): Intl.Segmenter {
  let segmenter = segmenters.get(locale);
  if (segmenter === undefined) {
    segmenter = new Intl.Segmenter(locale, { granularity: 'word' });
    if (segmenters.size >= MAX_CACHED_SEGMENTERS) segmenters.clear();
    segmenters.set(locale, segmenter);
  }
  return segmenter;
}

function escapeText(text: string): string {
  return /[&<>]/.test(text)
    ? text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
    : text;
}

function escapeAttribute(value: string): string {
  return /[&"]/.test(value) ? value.replaceAll('&', '&amp;').replaceAll('"', '&quot;') : value;
}

function openTagHtml(name: string, attributes: Record<string, string>): string {
  let html = `<${name}`;
  for (const [attribute, value] of Object.entries(attributes)) {
    html += ` ${attribute}="${escapeAttribute(value)}"`;
  }
  return `${html}>`;
}

/** Streams `html` into paragraphs of inline tokens with whitespace collapsed; the caller writes to and ends the parser. */
function paragraphParser(onParagraph: (paragraph: Paragraph) => void): Parser {
  let tokens: InlineToken[] = [];
  let text = '';
  let endsWithSpace = true;
  let lastTextToken: TextToken | null = null;
  let skipDepth = 0;

  const trimTrailingSpace = (): void => {
    if (lastTextToken !== null && text.endsWith(' ')) {
      lastTextToken.text = lastTextToken.text.slice(0, -1);
      text = text.slice(0, -1);
    }
  };

  const flushParagraph = (): void => {
    trimTrailingSpace();
    const paragraph: Paragraph = { tokens, text };
    tokens = [];
    text = '';
    endsWithSpace = true;
    lastTextToken = null;
    if (/\S/.test(paragraph.text)) onParagraph(paragraph);
  };

  return new Parser({
    onopentag(name, attributes) {
      if (skipDepth > 0) {
        skipDepth++;
      } else if (SKIPPED_TAGS.has(name)) {
        flushParagraph();
        skipDepth = 1;
      } else if (BLOCK_TAGS.has(name)) {
        flushParagraph();
      } else if (name === 'br') {
        trimTrailingSpace();
        tokens.push({ kind: 'br' });
        text += '\n';
        endsWithSpace = true;
      } else if (KEPT_INLINE_TAGS.has(name)) {
        tokens.push({ kind: 'open', name, html: openTagHtml(name, attributes) });
      }
    },
    onclosetag(name) {
      if (skipDepth > 0) {
        skipDepth--;
      } else if (BLOCK_TAGS.has(name)) {
        flushParagraph();
      } else if (KEPT_INLINE_TAGS.has(name)) {
        tokens.push({ kind: 'close', name });
      }
    },
    ontext(data) {
      if (skipDepth > 0) return;
      let collapsed = data.replace(/[ \t\n\r\f]+/g, ' ');
      if (endsWithSpace && collapsed.startsWith(' ')) collapsed = collapsed.slice(1);
      if (collapsed === '') return;
      lastTextToken = { kind: 'text', text: collapsed };
      tokens.push(lastTextToken);
      text += collapsed;
      endsWithSpace = collapsed.endsWith(' ');
    },
    onend: flushParagraph,
  });
}

function isLetterLike(code: number): boolean {
  if (code < 0xc0) return (code >= 48 && code <= 57) || ((code | 32) >= 97 && (code | 32) <= 122);
  // × ÷, punctuation, symbols and emoji are rarely words; counting them would pause parsing too early.
  return (
    code !== 0xd7 &&
    code !== 0xf7 &&
    (code < 0x2000 || code > 0x2bff) &&
    (code < 0x3000 || code > 0x303f) &&
    (code < 0xd800 || code > 0xdfff)
  );
}

// Whitespace never joins words, so space-separated runs with a letter-like character estimate the word count cheaply.
function estimatedWordCount(text: string): number {
  let count = 0;
  let runHasLetter = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 32 || code === 10) {
      if (runHasLetter) count++;
      runHasLetter = false;
    } else if (!runHasLetter && isLetterLike(code)) {
      runHasLetter = true;
    }
  }
  return runHasLetter ? count + 1 : count;
}

function isAsciiWordChar(code: number): boolean {
  return (code >= 48 && code <= 57) || ((code | 32) >= 97 && (code | 32) <= 122) || code === 95;
}

function isNeverInWord(code: number): boolean {
  return code === 0xa0 || (code >= 0x2010 && code <= 0x2027) || (code >= 0x3000 && code <= 0x3003);
}

// Segmenter never splits a run of ASCII letters, digits and underscores, and every word holds such a run or a non-ASCII character.
function maximumWordCount(text: string): number {
  let count = 0;
  let inAsciiRun = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isAsciiWordChar(code)) {
      if (!inAsciiRun) count++;
      inAsciiRun = true;
    } else {
      inAsciiRun = false;
      if (code >= 0x80 && !isNeverInWord(code)) count++;
    }
  }
  return count;
}

/** Serialises a paragraph's first `cut` characters of text as an unclosed `<p>`, closing every inline tag it opened. */
function openParagraphHtml(paragraph: Paragraph, cut: number): string {
  let html = '<p>';
  let consumed = 0;
  const openNames: string[] = [];
  const openHtml: string[] = [];
  let emittedDepth = 0;
  const emitPendingOpens = (): void => {
    while (emittedDepth < openHtml.length) html += openHtml[emittedDepth++];
  };
  for (const token of paragraph.tokens) {
    if (consumed >= cut) break;
    if (token.kind === 'text') {
      if (token.text === '') continue;
      emitPendingOpens();
      const kept = token.text.slice(0, cut - consumed);
      html += escapeText(kept);
      consumed += kept.length;
    } else if (token.kind === 'br') {
      emitPendingOpens();
      html += '<br>';
      consumed += 1;
    } else if (token.kind === 'open') {
      openNames.push(token.name);
      openHtml.push(token.html);
    } else {
      const depth = openNames.lastIndexOf(token.name);
      if (depth < 0) continue;
      while (openNames.length > depth) {
        const name = openNames.pop();
        openHtml.pop();
        if (emittedDepth > openNames.length) {
          html += `</${name}>`;
          emittedDepth--;
        }
      }
    }
  }
  while (emittedDepth > 0) html += `</${openNames[--emittedDepth]}>`;
  return html;
}

/** Where the text of `paragraphs` (joined by newlines) ends after the `limit`-th word and its attached closing marks, or -1 if it has no more words than that. */
function findCut(paragraphs: Paragraph[], limit: number, segmenter: Intl.Segmenter): number {
  // Newlines always break words, so one segmentation of the joined text equals one per paragraph, at a fraction of the cost.
  const joined = paragraphs.map((paragraph) => paragraph.text).join('\n');
  let words = 0;
  let cut = -1;
  let attached = false;
  for (const segment of segmenter.segment(joined)) {
    if (cut < 0) {
      if (segment.isWordLike && ++words === limit) {
        cut = segment.index + segment.segment.length;
        attached = true;
      }
      continue;
    }
    if (segment.isWordLike) return cut;
    if (!attached) continue;
    for (const char of segment.segment) {
      if (PAUSE_MARKS.has(char) || /\s/.test(char)) {
        attached = false;
        break;
      }
      cut += char.length;
    }
  }
  return -1;
}

function fullHtml(paragraphs: Paragraph[]): string {
  let html = '';
  for (const paragraph of paragraphs) {
    html += `${openParagraphHtml(paragraph, paragraph.text.length)}</p>`;
  }
  return html;
}

function truncatedHtml(paragraphs: Paragraph[], cut: number): string {
  let html = '';
  let start = 0;
  for (const paragraph of paragraphs) {
    const end = start + paragraph.text.length;
    if (cut <= end) return `${html}${openParagraphHtml(paragraph, cut - start)}${ELLIPSIS}</p>`;
    html += `${openParagraphHtml(paragraph, paragraph.text.length)}</p>`;
    start = end + 1;
  }
  throw new Error(`excerpt cut ${cut} lies beyond the text`);
}

function paragraphsOf(html: string): Paragraph[] {
  const paragraphs: Paragraph[] = [];
  paragraphParser((paragraph) => paragraphs.push(paragraph)).end(html);
  return paragraphs;
}

/** Cuts rendered body HTML to about `words` words, keeping paragraph breaks and balanced inline markup. */
export function excerptFromHtml(bodyHtml: string, options: ExcerptOptions): Excerpt {
  const limit = options.words;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`excerpt word limit must be a positive integer, got ${limit}`);
  }
  const segmenter = wordSegmenter(options.locale);
  const paragraphs: Paragraph[] = [];
  let estimatedWords = 0;
  let paused = false;
  // Stops parsing once the paragraphs probably hold more than `limit` words; findCut confirms, else parsing resumes.
  const parser = paragraphParser((paragraph) => {
    paragraphs.push(paragraph);
    estimatedWords += estimatedWordCount(paragraph.text);
    if (!paused && estimatedWords > limit) {
      paused = true;
      parser.pause();
    }
  });
  parser.write(bodyHtml);
  if (paused) {
    const cut = findCut(paragraphs, limit, segmenter);
    if (cut >= 0) return { html: truncatedHtml(paragraphs, cut), truncated: true };
    parser.resume();
  }
  parser.end();
  let wordsAtMost = 0;
  for (const paragraph of paragraphs) wordsAtMost += maximumWordCount(paragraph.text);
  if (wordsAtMost <= limit) return { html: fullHtml(paragraphs), truncated: false };
  const cut = findCut(paragraphs, limit, segmenter);
  if (cut >= 0) return { html: truncatedHtml(paragraphs, cut), truncated: true };
  return { html: fullHtml(paragraphs), truncated: false };
}

/** The author's summary (rendered HTML) wins when present and non-blank; otherwise the body is cut. */
export function chooseExcerpt(
  input: { summaryHtml: string | null; bodyHtml: string },
  options: ExcerptOptions,
): Excerpt {
  if (input.summaryHtml !== null) {
    const summary = paragraphsOf(input.summaryHtml);
    if (summary.length > 0) return { html: fullHtml(summary), truncated: false };
  }
  return excerptFromHtml(input.bodyHtml, options);
}
