import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLongDate, isoDateInZone } from './long-date.ts';

test('English long dates read "Wednesday 21st May 2014"', () => {
  assert.equal(
    formatLongDate(new Date('2014-05-21T12:00:00Z'), 'en', 'Europe/London'),
    'Wednesday 21st May 2014',
  );
});

test('English ordinals: 1st 2nd 3rd 4th 11th 12th 13th 22nd 23rd 31st', () => {
  const days: [number, string][] = [
    [1, '1st'],
    [2, '2nd'],
    [3, '3rd'],
    [4, '4th'],
    [11, '11th'],
    [12, '12th'],
    [13, '13th'],
    [22, '22nd'],
    [23, '23rd'],
    [31, '31st'],
  ];
  for (const [day, expected] of days) {
    const text = formatLongDate(new Date(Date.UTC(2025, 0, day, 12)), 'en', 'UTC');
    assert.equal(text.split(' ')[1], expected, text);
  }
});

test('dates are shown in the site time zone, not the server one', () => {
  const lateEvening = new Date('2025-03-14T23:30:00Z');
  assert.equal(formatLongDate(lateEvening, 'en', 'Europe/London'), 'Friday 14th March 2025');
  assert.equal(formatLongDate(lateEvening, 'en', 'Europe/Istanbul'), 'Saturday 15th March 2025');
  assert.equal(isoDateInZone(lateEvening, 'Europe/Istanbul'), '2025-03-15');
});

test('other languages use their own full date form through Intl', () => {
  const date = new Date('2014-05-21T12:00:00Z');
  assert.equal(formatLongDate(date, 'es', 'Europe/Madrid'), 'miércoles, 21 de mayo de 2014');
  assert.match(formatLongDate(date, 'ar', 'Asia/Beirut'), /٢٠١٤|2014/);
});
