import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cursorBound, nextWatermark, parseDurationMs, readFrom, toCursor } from './watermark';

describe('watermarks', () => {
  it('parses durations', () => {
    assert.equal(parseDurationMs('15m'), 900_000);
    assert.equal(parseDurationMs('2h'), 7_200_000);
    assert.equal(parseDurationMs('500ms'), 500);
    assert.throws(() => parseDurationMs('soon'));
  });

  it('reads timestamps and numbers as cursors', () => {
    assert.deepEqual(toCursor('2026-01-01T00:00:00.000Z'), { value: Date.UTC(2026, 0, 1), kind: 'timestamp' });
    assert.deepEqual(toCursor('2026-01-01 00:00:00'), { value: Date.UTC(2026, 0, 1), kind: 'timestamp' });
    assert.deepEqual(toCursor(17), { value: 17, kind: 'number' });
    assert.deepEqual(toCursor('123'), { value: 123, kind: 'number' });
    assert.equal(toCursor(null), undefined);
  });

  it('starts the next read a lookback behind the committed mark', () => {
    const t = Date.UTC(2026, 0, 1, 12);
    assert.equal(readFrom(t, 'timestamp', '1h'), Date.UTC(2026, 0, 1, 11));
    assert.equal(readFrom(100, 'number', 5), 95);
    assert.equal(cursorBound(Date.UTC(2026, 0, 1), 'timestamp'), '2026-01-01T00:00:00.000Z');
  });

  it('never commits a watermark past an unacknowledged row', () => {
    assert.equal(nextWatermark(100, undefined), 100);
    assert.equal(nextWatermark(100, 40), 40);
    assert.equal(nextWatermark(undefined, 40), 40);
  });
});
