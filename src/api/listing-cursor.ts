import type { ListingCursor } from '../statements/published-page-query.ts';
import { badParameter } from './problem.ts';

/** An opaque, URL-safe token for where the next page starts. */
export function encodeCursor(cursor: ListingCursor): string {
  return Buffer.from(`${cursor.publishedAt.toISOString()}|${cursor.id}`, 'utf8').toString(
    'base64url',
  );
}

const DECODED = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([1-9]\d{0,15})$/;

/** Reads a cursor a client sent back; anything we did not issue is a 400 naming `cursor`. */
export function decodeCursor(raw: string): ListingCursor {
  const match = DECODED.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  const publishedAt = match?.[1] === undefined ? null : new Date(match[1]);
  const id = Number(match?.[2]);
  if (publishedAt === null || Number.isNaN(publishedAt.getTime()) || !Number.isSafeInteger(id))
    throw badParameter('cursor', 'is not a cursor this API issued; use next_cursor as given.');
  return { publishedAt, id };
}
