import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decimalTextToJson, integerToJson, isoFromEpochDays, isoFromEpochMicros, isoFromEpochNanos } from './json-values';

test('integers: numbers while exact, strings beyond 2^53', () => {
  assert.equal(integerToJson(9007199254740991n), 9007199254740991);
  assert.equal(integerToJson(-9007199254740991n), -9007199254740991);
  assert.equal(integerToJson(9007199254740992n), '9007199254740992');
});

test('decimals: numbers when they print back identically at their scale, else strings', () => {
  assert.equal(decimalTextToJson('12.50'), 12.5);
  assert.equal(decimalTextToJson('-0.1'), -0.1);
  assert.equal(decimalTextToJson('0.30000000000000004'), 0.30000000000000004);
  assert.equal(decimalTextToJson('9007199254740993'), '9007199254740993');
  assert.equal(decimalTextToJson('123456789012345678.12'), '123456789012345678.12');
  assert.equal(decimalTextToJson('NaN'), 'NaN');
});

test('timestamps: fixed-width UTC ISO, so string order is time order', () => {
  assert.equal(isoFromEpochMicros(1704067200123456n), '2024-01-01T00:00:00.123456Z');
  assert.equal(isoFromEpochMicros(1704067200000000n), '2024-01-01T00:00:00.000000Z');
  assert.equal(isoFromEpochMicros(-1n), '1969-12-31T23:59:59.999999Z');
  assert.equal(isoFromEpochNanos(1704067200123456789n), '2024-01-01T00:00:00.123456789Z');
  assert.equal(isoFromEpochMicros(2n ** 63n - 1n), 'infinity');
  assert.equal(isoFromEpochMicros(-(2n ** 63n - 1n)), '-infinity');
  assert.ok(isoFromEpochMicros(1704067200000000n) < isoFromEpochMicros(1704067200000001n));
  assert.equal(isoFromEpochDays(19782), '2024-02-29');
});
