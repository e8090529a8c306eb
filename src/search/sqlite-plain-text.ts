/*
 * The visible text of rendered HTML exactly as the SQLite index's SQL computes it (sqlite-schema.ts
 * `plain`): each `<` up to the next `>` becomes one space, then six entities are decoded in this
 * order. The SQL removes one tag per recursive step, which costs the square of the body's length;
 * a rebuild of every statement strips them here instead.
 */
const ENTITIES: [entity: string, text: string][] = [
  ['&lt;', '<'],
  ['&gt;', '>'],
  ['&quot;', '"'],
  ['&#39;', "'"],
  ['&nbsp;', ' '],
  ['&amp;', '&'],
];

export function sqlitePlainText(html: string): string {
  let text = html.replace(/<[^>]*>/g, ' ');
  for (const [entity, decoded] of ENTITIES) text = text.replaceAll(entity, decoded);
  return text;
}
