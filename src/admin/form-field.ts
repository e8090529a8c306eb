export type FormBody = Record<string, unknown>;

/** A text field of a parsed form, or '' when it is missing or not text. */
export function formField(body: FormBody, name: string): string {
  const value = body[name];
  return typeof value === 'string' ? value : '';
}
