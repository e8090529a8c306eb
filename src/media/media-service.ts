import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { type AuditActor, recordAudit } from '../audit/audit-log.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import {
  type FallbackExtension,
  imageMarkdown,
  largestVariant,
  type MediaReference,
  type Size,
  type VariantExtension,
  variantFileName,
  variantSizes,
} from './media-names.ts';
import { insertMedia, type MediaVariant } from './media-repository.ts';

/** The largest upload accepted, in bytes. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
export const MAX_IMAGE_SIDE = 12_000;
export const MAX_IMAGE_PIXELS = 50_000_000;
export const MAX_ALT_LENGTH = 1000;
const QUALITY = 80;

export const ALT_REQUIRED_MESSAGE = 'Describe the image for people who cannot see it.';
const ACCEPTED_FORMATS_TEXT = 'JPEG, PNG, WebP, AVIF or GIF';

/** An upload that cannot be stored, with the HTTP status to answer and a message per form field. */
export class MediaInputError extends Error {
  readonly status: number;
  readonly fields: Record<string, string>;
  constructor(status: number, fields: Record<string, string>) {
    super(Object.values(fields).join(' '));
    this.name = 'MediaInputError';
    this.status = status;
    this.fields = fields;
  }
}

export interface Upload {
  /** The file's bytes, or null when none was sent. */
  data: Buffer | null;
  /** The name the browser gave; kept only for the library, never used on disk. */
  fileName: string;
  alt: string;
}

export interface UploadedImage {
  id: number;
  key: string;
  markdown: string;
}

interface Inspected {
  size: Size;
  mimeType: string;
  fallback: FallbackExtension;
}

const MIME_TYPES: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
};

/** Collapses the description to one line; the form field and Markdown alt text are single-line. */
export function normaliseAlt(alt: string): string {
  return alt.replace(/\s+/g, ' ').trim();
}

function displayName(fileName: string): string {
  // Browsers may send a full path; only the last part is useful, without control characters.
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/\p{Cc}/gu, '').trim();
  return clean === '' ? 'image' : clean.slice(0, 300);
}

function unsupported(message: string): MediaInputError {
  return new MediaInputError(415, { file: message });
}

/** Decides from the bytes themselves (never the name or the browser's type) whether we take the file. */
async function inspect(data: Buffer): Promise<Inspected> {
  let metadata: Metadata;
  try {
    metadata = await sharp(data, { limitInputPixels: false }).metadata();
  } catch {
    throw unsupported(
      `This file is not an image we can use. Upload a ${ACCEPTED_FORMATS_TEXT} file.`,
    );
  }
  const format = metadata.format as string;
  const avif = format === 'heif' && metadata.compression === 'av1';
  const mimeType = avif ? 'image/avif' : MIME_TYPES[format];
  if (mimeType === undefined) {
    throw unsupported(
      `This is a ${format.toUpperCase()} file, which is not accepted. Upload a ${ACCEPTED_FORMATS_TEXT} file.`,
    );
  }
  if ((metadata.pages ?? 1) > 1) {
    // Animations are refused rather than silently frozen on their first frame.
    throw unsupported('Animated images are not accepted. Upload a still image.');
  }
  const { width, height } = metadata;
  if (!width || !height) throw unsupported('The size of this image cannot be read.');
  const turned = (metadata.orientation ?? 1) >= 5;
  const size = turned ? { width: height, height: width } : { width, height };
  if (
    size.width > MAX_IMAGE_SIDE ||
    size.height > MAX_IMAGE_SIDE ||
    size.width * size.height > MAX_IMAGE_PIXELS
  ) {
    throw new MediaInputError(422, {
      file: `The image is ${size.width} × ${size.height} pixels. The most accepted is ${MAX_IMAGE_SIDE.toLocaleString('en')} pixels on a side and ${MAX_IMAGE_PIXELS / 1_000_000} megapixels in all: make it smaller and try again.`,
    });
  }
  // Lossless and transparent sources keep a PNG fallback; photographs get JPEG.
  const fallback = format === 'png' || format === 'gif' || metadata.hasAlpha ? 'png' : 'jpg';
  return { size, mimeType, fallback };
}

interface EncodedVariant extends MediaVariant {
  data: Buffer;
}

/** Writes every variant into memory; sharp keeps no metadata (EXIF, GPS, XMP, ICC) unless asked to. */
async function encode(data: Buffer, inspected: Inspected, key: string): Promise<EncodedVariant[]> {
  const source = sharp(data, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' }).rotate();
  const variants: EncodedVariant[] = [];
  try {
    for (const size of variantSizes(largestVariant(inspected.size))) {
      for (const format of ['webp', inspected.fallback] as VariantExtension[]) {
        // Exact sizes, so the names the Markdown renderer derives always match the files.
        let pipeline = source.clone().resize({ ...size, fit: 'fill' });
        pipeline =
          format === 'webp'
            ? pipeline.webp({ quality: QUALITY })
            : format === 'jpg'
              ? pipeline.jpeg({ quality: QUALITY, progressive: true })
              : pipeline.png({ compressionLevel: 9 });
        // Sequential on purpose: one decoded image in memory at a time.
        const output = await pipeline.toBuffer();
        variants.push({
          ...size,
          format,
          file: variantFileName(key, size, format),
          bytes: output.length,
          data: output,
        });
      }
    }
  } catch {
    throw new MediaInputError(422, {
      file: 'The image could not be read: the file may be damaged. Export it again and retry.',
    });
  }
  return variants;
}

/** Checks what the form sent, before any image work. */
function validate(upload: Upload): { data: Buffer; alt: string } {
  const fields: Record<string, string> = {};
  const alt = normaliseAlt(upload.alt);
  if (upload.data === null || upload.data.length === 0)
    fields.file = `Choose an image file to upload (${ACCEPTED_FORMATS_TEXT}).`;
  if (alt === '') fields.alt = ALT_REQUIRED_MESSAGE;
  else if (alt.length > MAX_ALT_LENGTH)
    fields.alt = `Keep the description to ${MAX_ALT_LENGTH.toLocaleString('en')} characters or fewer.`;
  if (upload.data === null || upload.data.length === 0) throw new MediaInputError(400, fields);
  if (fields.alt !== undefined) throw new MediaInputError(422, fields);
  return { data: upload.data, alt };
}

/**
 * Stores an uploaded image: validate, encode every variant, write them under temporary names,
 * then record the row and the audit entry and rename the files inside one transaction. Any
 * failure removes whatever was written, so there is never a row without files or the reverse.
 */
export async function uploadImage(
  handle: DatabaseHandle,
  mediaDir: string,
  actor: AuditActor,
  upload: Upload,
  now = new Date(),
): Promise<UploadedImage> {
  const { data, alt } = validate(upload);
  const originalName = displayName(upload.fileName);
  const inspected = await inspect(data);
  const key = randomBytes(16).toString('hex');
  const variants = await encode(data, inspected, key);
  await mkdir(mediaDir, { recursive: true });
  const written: string[] = [];
  const renames = variants.map((variant) => ({
    temporary: path.join(mediaDir, `.${variant.file}.${randomBytes(6).toString('hex')}.tmp`),
    final: path.join(mediaDir, variant.file),
  }));
  try {
    for (const [index, variant] of variants.entries()) {
      const target = renames[index];
      if (target === undefined) continue;
      written.push(target.temporary);
      await writeFile(target.temporary, variant.data, { flag: 'wx' });
    }
    const id = await handle.db.transaction().execute(async (trx) => {
      const mediaId = await insertMedia(
        trx,
        {
          key,
          originalName,
          mimeType: inspected.mimeType,
          width: inspected.size.width,
          height: inspected.size.height,
          bytes: data.length,
          alt,
          variants: variants.map(({ data: _data, ...variant }) => variant),
          uploadedBy: actor.userId,
        },
        now,
      );
      await recordAudit(
        trx,
        actor,
        'media.uploaded',
        { type: 'media', id: mediaId },
        {
          key,
          original_name: originalName,
          width: inspected.size.width,
          height: inspected.size.height,
          bytes: data.length,
        },
        now,
      );
      // Renamed last, inside the transaction: a failed rename rolls the row back.
      for (const { temporary, final } of renames) {
        written.push(final);
        await rename(temporary, final);
      }
      return mediaId;
    });
    const reference: MediaReference = {
      key,
      largest: largestVariant(inspected.size),
      fallback: inspected.fallback,
    };
    return { id, key, markdown: imageMarkdown(alt, reference) };
  } catch (error) {
    await Promise.all(written.map((file) => rm(file, { force: true })));
    throw error;
  }
}
