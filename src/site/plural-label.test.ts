import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pluralLabel } from './plural-label.ts';

test('English picks one or other', () => {
  const labels = { found_one: '{count} statement found', found_other: '{count} statements found' };
  assert.equal(pluralLabel(labels, 'found', 1, 'en'), '1 statement found');
  assert.equal(pluralLabel(labels, 'found', 2, 'en'), '2 statements found');
  assert.equal(pluralLabel(labels, 'found', 1200, 'en'), '1,200 statements found');
});

test('Arabic uses its six plural categories and its own number format', () => {
  const arabic = new Intl.NumberFormat('ar');
  const labels = {
    n_zero: 'لا بيانات',
    n_one: 'بيان واحد',
    n_two: 'بيانان',
    n_few: '{count} بيانات',
    n_many: '{count} بيانًا',
    n_other: '{count} بيان',
  };
  assert.equal(pluralLabel(labels, 'n', 0, 'ar'), 'لا بيانات');
  assert.equal(pluralLabel(labels, 'n', 2, 'ar'), 'بيانان');
  assert.equal(pluralLabel(labels, 'n', 3, 'ar'), `${arabic.format(3)} بيانات`);
  assert.equal(pluralLabel(labels, 'n', 11, 'ar'), `${arabic.format(11)} بيانًا`);
  assert.equal(pluralLabel(labels, 'n', 100, 'ar'), `${arabic.format(100)} بيان`);
});

test('a missing category falls back to other', () => {
  assert.equal(pluralLabel({ x_other: '{count} things' }, 'x', 1, 'en'), '1 things');
});
