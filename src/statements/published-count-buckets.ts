import { sql } from 'kysely';
import type { Queryable } from '../db/database.ts';
import type { LanguageView } from './statement-repository.ts';

/**
 * Reading the counts that migration 0013's triggers keep in published_counts: per bucket and
 * language, the published statements, the published originals, and the published originals in
 * another language with a published translation into this one.
 */

/** One bucket, or a range of them: `from` included, `to` excluded, compared as text (C collation). */
export interface BucketRange {
  from: string;
  to?: string;
}

export const ALL_BUCKET: BucketRange = { from: 'all' };

export function organisationBucket(organisationId: number): BucketRange {
  return { from: `o:${organisationId}` };
}

const DAY_MS = 24 * 3600 * 1000;

const monthKey = (instant: Date) => `m:${instant.toISOString().slice(0, 7)}`;
const dayKey = (instant: Date) => `d:${instant.toISOString().slice(0, 10)}`;

function startOfUtcMonth(instant: Date): Date {
  return new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), 1));
}

/**
 * [from, to) as whole UTC months and days the triggers count, plus the hours at either end that
 * no bucket holds (a period in a time zone starts and ends at its offset from UTC).
 */
export function periodBuckets(
  from: Date,
  to: Date,
): { buckets: BucketRange[]; edges: { from: Date; to: Date }[] } {
  const firstDay = new Date(Math.ceil(from.getTime() / DAY_MS) * DAY_MS);
  const lastDay = new Date(Math.floor(to.getTime() / DAY_MS) * DAY_MS);
  if (firstDay >= lastDay) return { buckets: [], edges: from < to ? [{ from, to }] : [] };
  const edges = [
    ...(from < firstDay ? [{ from, to: firstDay }] : []),
    ...(lastDay < to ? [{ from: lastDay, to }] : []),
  ];
  const firstMonth =
    startOfUtcMonth(firstDay).getTime() === firstDay.getTime()
      ? firstDay
      : new Date(Date.UTC(firstDay.getUTCFullYear(), firstDay.getUTCMonth() + 1, 1));
  const lastMonth = startOfUtcMonth(lastDay);
  if (firstMonth >= lastMonth)
    return { buckets: [{ from: dayKey(firstDay), to: dayKey(lastDay) }], edges };
  const buckets = [{ from: monthKey(firstMonth), to: monthKey(lastMonth) }];
  if (firstDay < firstMonth) buckets.push({ from: dayKey(firstDay), to: dayKey(firstMonth) });
  if (lastMonth < lastDay) buckets.push({ from: dayKey(lastMonth), to: dayKey(lastDay) });
  return { buckets, edges };
}

interface CountRow {
  part: number | string;
  language: string;
  published: number | string;
  originals: number | string;
  translated: number | string;
}

const inBuckets = (ranges: BucketRange[]) =>
  sql.join(
    ranges.map((range) =>
      range.to === undefined
        ? sql`bucket = ${range.from}`
        : sql`(bucket >= ${range.from} and bucket < ${range.to})`,
    ),
    sql` or `,
  );

/** The statements `view` shows (every published one without a view) in the buckets, summed. */
export async function countKept(
  db: Queryable,
  ranges: BucketRange[],
  view: LanguageView | undefined,
): Promise<number> {
  const [count] = await countKeptByPart(db, [ranges], view);
  return count ?? 0;
}

/** Like `countKept` for several disjoint sets of buckets at once (the months of a year): one query. */
export async function countKeptByPart(
  db: Queryable,
  parts: BucketRange[][],
  view: LanguageView | undefined,
): Promise<number[]> {
  const counts = parts.map(() => 0);
  const asked = parts.flatMap((ranges, part) => (ranges.length === 0 ? [] : [{ ranges, part }]));
  if (asked.length === 0) return counts;
  const part = sql`case ${sql.join(
    asked.map(({ ranges, part }) => sql`when ${inBuckets(ranges)} then ${sql.lit(part)}`),
    sql` `,
  )} end`;
  const { rows } = await sql<CountRow>`select ${part} as part, language,
      sum(published) as published, sum(originals) as originals, sum(translated) as translated
    from published_counts where ${inBuckets(asked.flatMap(({ ranges }) => ranges))}
    group by 1, language`.execute(db);
  const totals = parts.map(() => ({
    published: 0,
    originals: 0,
    own: 0,
    ownOriginals: 0,
    into: 0,
  }));
  for (const row of rows) {
    const total = totals[Number(row.part)];
    if (total === undefined) continue;
    total.published += Number(row.published);
    total.originals += Number(row.originals);
    if (row.language === view?.language) {
      total.own = Number(row.published);
      total.ownOriginals = Number(row.originals);
      total.into = Number(row.translated);
    }
  }
  return totals.map((total) => {
    if (view === undefined) return total.published;
    // Originals in other languages, less those translated into this one, show in its place.
    return view.includeUntranslated
      ? total.own + total.originals - total.ownOriginals - total.into
      : total.own;
  });
}
