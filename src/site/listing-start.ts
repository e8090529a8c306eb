import type { Queryable } from '../db/database.ts';
import { type ListingPosition, readListingCheckpoints } from '../statements/index.ts';
import type { SiteState } from './site-state.ts';

// Deeper than this many entries a page walks from the nearest checkpoint: at most this many index entries.
export const CHECKPOINT_SPAN = 1000;

/**
 * Where a page of the front-page listing starts: the offset from the newest entry, or past a
 * checkpoint read once per content version, so that page 500 no longer walks 5,000 index entries
 * on every render. Checkpoints are read as deep as asked, in powers of two: reading them costs
 * about one render of the deepest page asked for.
 */
export async function listingStart(
  db: Queryable,
  state: SiteState,
  offset: number,
): Promise<{ offset: number; from?: ListingPosition }> {
  if (offset < CHECKPOINT_SPAN) return { offset };
  const wanted = Math.floor(offset / CHECKPOINT_SPAN);
  const count = 2 ** Math.ceil(Math.log2(wanted + 1));
  const checkpoints = await state.counts.get(
    `listing-checkpoints:${CHECKPOINT_SPAN}:${count}`,
    () => readListingCheckpoints(db, state.view, CHECKPOINT_SPAN, count),
  );
  // A listing shorter than asked for ends before `wanted`: its last checkpoint is the nearest.
  const index = Math.min(wanted, checkpoints.length - 1);
  const from = checkpoints[index];
  return from === undefined ? { offset } : { offset: offset - index * CHECKPOINT_SPAN, from };
}
