import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { PublishedCountTables, Queryable } from '../db/database.ts';
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

type CountsBuilder = ExpressionBuilder<PublishedCountTables, 'published_counts'>;

function inBuckets(eb: CountsBuilder, ranges: BucketRange[]): Expression<SqlBool> {
  return eb.or(
    ranges.map((range) =>
      range.to === undefined
        ? eb('bucket', '=', range.from)
        : eb.and([eb('bucket', '>=', range.from), eb('bucket', '<', range.to)]),
    ),
  );
}

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
  const [first, ...rest] = asked;
  if (first === undefined) return counts;
  const everyRange = asked.flatMap(({ ranges }) => ranges);
  const rows = await db
    .withTables<PublishedCountTables>()
    .selectFrom('published_counts')
    .select((eb) => {
      // Which part a bucket belongs to, as a literal, so the whole year is one grouped read.
      let part = eb.case().when(inBuckets(eb, first.ranges)).then(eb.lit(first.part));
      for (const { ranges, part: index } of rest)
        part = part.when(inBuckets(eb, ranges)).then(eb.lit(index));
      return [
        part.end().as('part'),
        'language',
        eb.fn.sum<number | string>('published').as('published'),
        eb.fn.sum<number | string>('originals').as('originals'),
        eb.fn.sum<number | string>('translated').as('translated'),
      ];
    })
    .where((eb) => inBuckets(eb, everyRange))
    .groupBy(['part', 'language'])
    .execute();
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
