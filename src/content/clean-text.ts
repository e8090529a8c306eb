// NUL and other C0 control characters (except tab, line feed, carriage return) mean nothing in prose, and PostgreSQL rejects NUL.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** Text as stored: without control characters that no author meant to type. */
export function cleanText(text: string): string {
  return text.replace(CONTROL_CHARACTERS, '');
}

/** Cleans every string of a parsed form body in place. */
export function cleanFormBody(body: unknown): void {
  if (typeof body !== 'object' || body === null) return;
  const record = body as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (typeof value === 'string') record[key] = cleanText(value);
    else if (Array.isArray(value))
      record[key] = value.map((item) => (typeof item === 'string' ? cleanText(item) : item));
  }
}
