import { diffLines, diffWords } from 'diff';
import type { Revision } from '../statements/revision-repository.ts';

export interface DiffPart {
  kind: 'added' | 'removed' | 'same';
  text: string;
}

export interface FieldDiff {
  field: string;
  changed: boolean;
  parts: DiffPart[];
}

function parts(changes: { added?: boolean; removed?: boolean; value: string }[]): DiffPart[] {
  return changes.map((change) => ({
    kind: change.added ? 'added' : change.removed ? 'removed' : 'same',
    text: change.value,
  }));
}

/** What changed between two revisions, field by field, for the diff view. */
export function revisionDiff(older: Revision, newer: Revision): FieldDiff[] {
  const field = (name: string, before: string, after: string, byLine: boolean): FieldDiff => ({
    field: name,
    changed: before !== after,
    parts: parts(byLine ? diffLines(before, after) : diffWords(before, after)),
  });
  return [
    field('Title', older.title, newer.title, false),
    field('Address', older.slug, newer.slug, false),
    field('Summary', older.summaryMd ?? '', newer.summaryMd ?? '', false),
    field('Text', older.bodyMd, newer.bodyMd, true),
    field('Language', older.language, newer.language, false),
    field('Date', older.publishedAt.toISOString(), newer.publishedAt.toISOString(), false),
    field('Signatories', older.signatoryIds.join(', '), newer.signatoryIds.join(', '), false),
    field('Status', older.status, newer.status, false),
  ];
}
