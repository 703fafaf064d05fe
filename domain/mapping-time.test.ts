import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTime } from './mapping-time';

describe('formatTime', () => {
  const instant = '2026-03-29T00:30:00.000000Z'; // the night Europe switches to summer time

  it('writes calendar dates in the destination zone', () => {
    assert.equal(formatTime(instant, { format: 'date' }), '2026-03-29');
    assert.equal(formatTime(instant, { format: 'date', timeZone: 'America/Los_Angeles' }), '2026-03-28');
    assert.equal(formatTime('2026-12-31T23:30:00Z', { format: 'date', timeZone: 'Asia/Tokyo' }), '2027-01-01');
  });

  it('writes ISO datetimes with the zone offset, across a DST change', () => {
    assert.equal(formatTime(instant, { format: 'datetime' }), '2026-03-29T00:30:00Z');
    assert.equal(formatTime(instant, { format: 'datetime', timeZone: 'Europe/Berlin' }), '2026-03-29T01:30:00+01:00');
    assert.equal(formatTime('2026-03-29T01:30:00Z', { format: 'datetime', timeZone: 'Europe/Berlin' }), '2026-03-29T03:30:00+02:00');
    assert.equal(formatTime('2026-07-01T12:00:00Z', { format: 'datetime', timeZone: 'Asia/Kolkata' }), '2026-07-01T17:30:00+05:30');
  });

  it('writes Unix seconds and milliseconds', () => {
    assert.equal(formatTime('2026-01-01T00:00:00Z', { format: 'unix' }), 1767225600);
    assert.equal(formatTime('2026-01-01T00:00:00.250Z', { format: 'unix_ms' }), 1767225600250);
    assert.equal(formatTime(new Date(Date.UTC(2026, 0, 1)), { format: 'unix' }), 1767225600);
    assert.equal(formatTime(1767225600, { format: 'date' }), '2026-01-01', 'epoch seconds');
    assert.equal(formatTime(1767225600000, { format: 'date' }), '2026-01-01', 'epoch milliseconds');
  });

  it('reads zone-less timestamps in the source zone', () => {
    // recorded as Berlin wall-clock, handed over as UTC wall-clock by the source
    assert.equal(formatTime('2026-07-01T09:00:00.000000Z', { format: 'datetime', sourceTimeZone: 'Europe/Berlin' }), '2026-07-01T07:00:00Z');
    assert.equal(formatTime('2026-07-01 09:00:00', { format: 'unix', sourceTimeZone: 'America/New_York' }), Date.UTC(2026, 6, 1, 13) / 1000);
    assert.equal(formatTime('2026-07-01', { format: 'date', sourceTimeZone: 'Europe/Berlin', timeZone: 'Europe/Berlin' }), '2026-07-01');
    assert.equal(formatTime('2026-07-01T09:00:00+02:00', { format: 'datetime', sourceTimeZone: 'America/New_York' }), '2026-07-01T07:00:00Z', 'an explicit offset wins');
  });

  it('turns non-times into null rather than garbage', () => {
    for (const v of [null, undefined, '', 'not a date', '2026-02-30', {}, Number.NaN]) assert.equal(formatTime(v, { format: 'date' }), null, String(v));
  });
});
