import { type Queryable, toDate } from '../db/database.ts';
import type { VariantExtension } from './media-names.ts';

/** One file written for an image, as stored in the `variants` JSON column. */
export interface MediaVariant {
  width: number;
  height: number;
  format: VariantExtension;
  file: string;
  bytes: number;
}

export interface NewMedia {
  key: string;
  originalName: string;
  mimeType: string;
  width: number;
  height: number;
  bytes: number;
  alt: string;
  variants: MediaVariant[];
  uploadedBy: number | null;
}

/** An uploaded image as the library lists it. */
export interface MediaItem extends NewMedia {
  id: number;
  uploaderLabel: string | null;
  createdAt: Date;
}

export async function insertMedia(db: Queryable, media: NewMedia, now: Date): Promise<number> {
  const { id } = await db
    .insertInto('media')
    .values({
      key: media.key,
      original_name: media.originalName,
      mime_type: media.mimeType,
      width: media.width,
      height: media.height,
      bytes: media.bytes,
      alt: media.alt,
      variants: JSON.stringify(media.variants),
      uploaded_by: media.uploadedBy,
      created_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function countMedia(db: Queryable): Promise<number> {
  const row = await db
    .selectFrom('media')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** A page of the library, newest first. */
export async function listMedia(
  db: Queryable,
  limit: number,
  offset: number,
): Promise<MediaItem[]> {
  const rows = await db
    .selectFrom('media')
    .leftJoin('users', 'users.id', 'media.uploaded_by')
    .select([
      'media.id',
      'media.key',
      'media.original_name',
      'media.mime_type',
      'media.width',
      'media.height',
      'media.bytes',
      'media.alt',
      'media.variants',
      'media.uploaded_by',
      'media.created_at',
      'users.name as uploader_name',
      'users.email as uploader_email',
    ])
    .orderBy('media.created_at', 'desc')
    .orderBy('media.id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    key: row.key,
    originalName: row.original_name,
    mimeType: row.mime_type,
    width: row.width,
    height: row.height,
    bytes: row.bytes,
    alt: row.alt,
    variants: JSON.parse(row.variants) as MediaVariant[],
    uploadedBy: row.uploaded_by,
    uploaderLabel: row.uploader_name ?? row.uploader_email ?? null,
    createdAt: toDate(row.created_at),
  }));
}
