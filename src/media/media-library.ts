import type { Queryable } from '../db/database.ts';
import {
  type FallbackExtension,
  imageMarkdown,
  largestVariant,
  MEDIA_URL_PREFIX,
} from './media-names.ts';
import { countMedia, listMedia, type MediaItem } from './media-repository.ts';

const THUMBNAIL_WIDTH = 160;

/** What the library (and any image picker) shows for one image. */
export interface MediaCard {
  id: number;
  alt: string;
  originalName: string;
  width: number;
  height: number;
  size: string;
  uploadedBy: string | null;
  createdAt: Date;
  thumbnail: { src: string; width: number; height: number } | null;
  markdown: string;
}

/** "2.4 MB", "830 kB": decimal units, as file managers show them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  if (bytes < 1_000_000) return `${Math.round(bytes / 1000)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

export function describeMedia(item: MediaItem): MediaCard {
  const smallest = item.variants
    .filter((variant) => variant.format === 'webp')
    .sort((a, b) => a.width - b.width)[0];
  const fallback: FallbackExtension = item.variants.some((variant) => variant.format === 'png')
    ? 'png'
    : 'jpg';
  const shownWidth = Math.min(THUMBNAIL_WIDTH, smallest?.width ?? THUMBNAIL_WIDTH);
  return {
    id: item.id,
    alt: item.alt,
    originalName: item.originalName,
    width: item.width,
    height: item.height,
    size: formatBytes(item.bytes),
    uploadedBy: item.uploaderLabel,
    createdAt: item.createdAt,
    thumbnail:
      smallest === undefined
        ? null
        : {
            src: `${MEDIA_URL_PREFIX}${smallest.file}`,
            width: shownWidth,
            height: Math.max(1, Math.round((shownWidth * smallest.height) / smallest.width)),
          },
    markdown: imageMarkdown(item.alt, {
      key: item.key,
      largest: largestVariant({ width: item.width, height: item.height }),
      fallback,
    }),
  };
}

/** One page of the library, newest first, with the total for pagination. */
export async function mediaLibraryPage(
  db: Queryable,
  page: number,
  perPage: number,
): Promise<{ cards: MediaCard[]; total: number }> {
  const [items, total] = await Promise.all([
    listMedia(db, perPage, (page - 1) * perPage),
    countMedia(db),
  ]);
  return { cards: items.map(describeMedia), total };
}
