const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  '#39': "'",
  nbsp: ' ',
};

/** Visible text of trusted rendered HTML, shortened on a word boundary, for meta descriptions. */
export function plainText(html: string, maxLength = 200): string {
  const text = html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_whole, name: string) => ENTITIES[name] ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  return shortenText(text, maxLength);
}

/** Plain text cut on a word boundary so that it, with its "…", is at most `maxLength` characters. */
export function shortenText(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  const room = maxLength - 1;
  const lastSpace = text.lastIndexOf(' ', room);
  // A single very long word is cut mid-word rather than leaving almost nothing; never mid-surrogate pair.
  const cut =
    lastSpace > maxLength / 2
      ? text.slice(0, lastSpace)
      : text.slice(0, room).replace(/[\uD800-\uDBFF]$/, '');
  return `${cut.replace(/[\s,;:.…]+$/, '')}…`;
}
