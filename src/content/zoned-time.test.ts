import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instantToZonedLocal, zonedLocalToInstant } from './zoned-time.ts';

test('a wall-clock time in a zone becomes the right instant, across daylight saving', () => {
  assert.equal(
    zonedLocalToInstant('2025-01-15T10:30', 'Europe/London')?.toISOString(),
    '2025-01-15T10:30:00.000Z',
  );
  assert.equal(
    zonedLocalToInstant('2025-07-15T10:30', 'Europe/London')?.toISOString(),
    '2025-07-15T09:30:00.000Z',
  );
  assert.equal(
    zonedLocalToInstant('2025-07-15T10:30', 'America/Santiago')?.toISOString(),
    '2025-07-15T14:30:00.000Z',
  );
  assert.equal(
    zonedLocalToInstant('2025-03-30T12:00', 'Europe/Madrid')?.toISOString(),
    '2025-03-30T10:00:00.000Z',
  );
});

test('malformed or impossible times are refused', () => {
  for (const bad of [
    '',
    'tomorrow',
    '2025-02-30T10:00',
    '2025-13-01T10:00',
    '2025-01-01T25:00',
    '2025-01-01',
  ]) {
    assert.equal(zonedLocalToInstant(bad, 'UTC'), null, bad);
  }
});

test('an instant is shown as the wall-clock time of the zone, and back again', () => {
  const instant = new Date('2025-11-02T23:15:00Z');
  const local = instantToZonedLocal(instant, 'Asia/Beirut');
  assert.equal(local, '2025-11-03T01:15');
  assert.equal(zonedLocalToInstant(local, 'Asia/Beirut')?.toISOString(), instant.toISOString());
});
