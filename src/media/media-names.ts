/**
 * How uploaded images are named on disk and in Markdown. Pure functions with no I/O, shared by
 * the uploader (which writes the files) and the Markdown renderer (which must stay synchronous
 * and never look anything up), so both always agree on which files exist.
 */

/** Widths written for every image, never wider than the original. */
export const VARIANT_WIDTHS = [480, 960, 1600] as const;
export const MAX_VARIANT_WIDTH = 1600;
export const MEDIA_URL_PREFIX = '/media/';
/** What the renderer tells browsers about the layout width of an image in running text. */
export const IMAGE_SIZES = '(min-width: 50rem) 46rem, 100vw';

export type FallbackExtension = 'jpg' | 'png';
export type VariantExtension = FallbackExtension | 'webp';

export interface Size {
  width: number;
  height: number;
}

// Every generated file is `<key>-<width>x<height>.<ext>` with a 32-hex-digit random key; nothing else is served.
const FILE_PATTERN = /^([0-9a-f]{32})-([1-9]\d{0,4})x([1-9]\d{0,4})\.(webp|jpg|png)$/;

function scaledHeight(width: number, size: Size): number {
  return Math.max(1, Math.round((width * size.height) / size.width));
}

/** The largest variant: the original's size, or 1600 px wide if the original is wider. */
export function largestVariant(original: Size): Size {
  const width = Math.min(original.width, MAX_VARIANT_WIDTH);
  return width === original.width
    ? { width, height: original.height }
    : { width, height: scaledHeight(width, original) };
}

/**
 * Every variant size, smallest first, computed from the largest one alone: the standard widths
 * below it, then the largest itself (so a 300 px image has one 300 px variant, a 1200 px one
 * has 480, 960 and 1200, and nothing is ever upscaled).
 */
export function variantSizes(largest: Size): Size[] {
  const smaller = VARIANT_WIDTHS.filter((width) => width < largest.width).map((width) => ({
    width,
    height: scaledHeight(width, largest),
  }));
  return [...smaller, { width: largest.width, height: largest.height }];
}

export function variantFileName(key: string, size: Size, extension: VariantExtension): string {
  return `${key}-${size.width}x${size.height}.${extension}`;
}

/** Whether `name` (no folder) has the shape of a file the uploader writes. */
export function isMediaFileName(name: string): boolean {
  return FILE_PATTERN.test(name);
}

/** What the renderer needs to know about an uploaded image, read from its URL alone. */
export interface MediaReference {
  key: string;
  largest: Size;
  fallback: FallbackExtension;
}

/** The URL inserted into Markdown: the largest fallback file, which names everything else. */
export function mediaUrl(reference: MediaReference): string {
  return `${MEDIA_URL_PREFIX}${variantFileName(reference.key, reference.largest, reference.fallback)}`;
}

/** Recognises a URL made by `mediaUrl`; anything else (other sites, hand-written paths) gives null. */
export function parseMediaUrl(url: string): MediaReference | null {
  if (!url.startsWith(MEDIA_URL_PREFIX)) return null;
  const match = FILE_PATTERN.exec(url.slice(MEDIA_URL_PREFIX.length));
  if (match === null) return null;
  const [, key = '', width = '', height = '', extension = ''] = match;
  if (extension === 'webp' || Number(width) > MAX_VARIANT_WIDTH) return null;
  return {
    key,
    largest: { width: Number(width), height: Number(height) },
    fallback: extension as FallbackExtension,
  };
}

// Characters that would end the alt text or turn part of it into markup inside `![…]`.
const MARKDOWN_SPECIAL = /[\\`*_[\]<>&~]/g;

/** The Markdown an author inserts: `![alt](/media/…)`, with the alt text kept literal. */
export function imageMarkdown(alt: string, reference: MediaReference): string {
  const text = alt.replace(/\s+/g, ' ').trim().replace(MARKDOWN_SPECIAL, '\\$&');
  return `![${text}](${mediaUrl(reference)})`;
}
