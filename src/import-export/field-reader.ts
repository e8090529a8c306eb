import { SLUG_PATTERN } from '../content/slug-text.ts';
import { isValidLanguageTag, isValidTimeZone } from '../settings/index.ts';
import { ContentFileError, type ParsedYaml } from './front-matter.ts';

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const regionNames = new Intl.DisplayNames('en', { type: 'region', fallback: 'none' });

export function isValidSlug(slug: string): boolean {
  return slug.length <= 200 && SLUG_PATTERN.test(slug);
}

/** Reads typed fields from parsed YAML, throwing a ContentFileError that names file, line and field. */
export class FieldReader {
  readonly #file: string;
  readonly #parsed: ParsedYaml;
  readonly #allowed: Set<string>;

  constructor(file: string, parsed: ParsedYaml, allowedFields: readonly string[]) {
    this.#file = file;
    this.#parsed = parsed;
    this.#allowed = new Set(allowedFields);
    for (const field of Object.keys(parsed.data)) {
      if (!this.#allowed.has(field)) {
        this.fail(field, `is not a known field (expected one of: ${allowedFields.join(', ')})`);
      }
    }
  }

  fail(field: string, problem: string): never {
    throw new ContentFileError(this.#file, this.#parsed.lineOf(field), field, problem);
  }

  lineOf(field: string): number {
    return this.#parsed.lineOf(field);
  }

  has(field: string): boolean {
    const value = this.#parsed.data[field];
    return value !== undefined && value !== null;
  }

  optionalString(field: string, maxLength = 100_000): string | null {
    const value = this.#parsed.data[field];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string' && typeof value !== 'number') this.fail(field, 'must be text');
    const text = String(value);
    if (text.length > maxLength) this.fail(field, `must be at most ${maxLength} characters`);
    return text;
  }

  requiredString(field: string, maxLength = 100_000): string {
    const text = this.optionalString(field, maxLength);
    if (text === null || text.trim() === '') this.fail(field, 'is required');
    return text.trim();
  }

  optionalInteger(field: string, min: number, max: number): number | null {
    const value = this.#parsed.data[field];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(
        field,
        `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  }

  languageTag(field: string, required: boolean): string | null {
    const tag = required ? this.requiredString(field, 35) : this.optionalString(field, 35);
    if (tag === null) return null;
    if (!isValidLanguageTag(tag))
      this.fail(field, `"${tag}" is not a BCP 47 language tag such as en or pt-BR`);
    return Intl.getCanonicalLocales(tag)[0] ?? tag;
  }

  languageList(field: string): string[] | null {
    const value = this.#parsed.data[field];
    if (value === undefined || value === null) return null;
    if (!Array.isArray(value) || value.length === 0)
      this.fail(field, 'must be a list of language tags');
    return value.map((item) => {
      if (typeof item !== 'string' || !isValidLanguageTag(item)) {
        this.fail(field, `"${String(item)}" is not a BCP 47 language tag`);
      }
      return Intl.getCanonicalLocales(item)[0] ?? item;
    });
  }

  timeZone(field: string): string | null {
    const zone = this.optionalString(field, 100);
    if (zone !== null && !isValidTimeZone(zone))
      this.fail(field, `"${zone}" is not an IANA time zone such as Europe/Madrid`);
    return zone;
  }

  country(field: string): string {
    const code = this.requiredString(field, 2).toUpperCase();
    if (!/^[A-Z]{2}$/.test(code) || regionNames.of(code) === undefined) {
      this.fail(field, `"${code}" is not an ISO 3166-1 alpha-2 country code such as ES or TR`);
    }
    return code;
  }

  optionalUrl(field: string): string | null {
    const text = this.optionalString(field, 2000);
    if (text === null || text.trim() === '') return null;
    try {
      const url = new URL(text.trim());
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
      return url.href;
    } catch {
      return this.fail(field, `"${text}" is not an http or https address`);
    }
  }

  instant(field: string): Date {
    const value = this.#parsed.data[field];
    const text = value instanceof Date ? value.toISOString() : this.requiredString(field, 40);
    if (!ISO_WITH_OFFSET.test(text) || Number.isNaN(Date.parse(text))) {
      this.fail(
        field,
        `"${text}" is not an ISO 8601 date and time with an offset, such as 2025-03-14T10:30:00+01:00`,
      );
    }
    return new Date(text);
  }

  slug(field: string): string | null {
    const text = this.optionalString(field, 200);
    if (text === null) return null;
    if (!isValidSlug(text))
      this.fail(field, `"${text}" is not a slug (lowercase letters, digits and hyphens)`);
    return text;
  }

  slugList(field: string): string[] {
    const value = this.#parsed.data[field];
    if (!Array.isArray(value) || value.length === 0)
      this.fail(field, 'must be a list of one or more organisation slugs');
    const slugs = value.map((item) => {
      if (typeof item !== 'string' || !isValidSlug(item))
        this.fail(field, `"${String(item)}" is not a slug`);
      return item;
    });
    if (new Set(slugs).size !== slugs.length) this.fail(field, 'lists the same organisation twice');
    return slugs;
  }
}
