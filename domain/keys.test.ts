import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyOf } from './keys';

describe('keyOf', () => {
  it('uses the value itself for single-column keys', () => {
    assert.equal(keyOf({ id: 42 }, ['id']), '42');
    assert.equal(keyOf({ id: 'abc' }, ['id']), 'abc');
  });
  it('uses a JSON array for composite keys, so ("a,b","c") and ("a","b,c") differ', () => {
    assert.notEqual(keyOf({ a: 'a,b', b: 'c' }, ['a', 'b']), keyOf({ a: 'a', b: 'b,c' }, ['a', 'b']));
    assert.equal(keyOf({ a: 1, b: 'x' }, ['a', 'b']), '["1","x"]');
  });
  it('returns undefined when any key column is null or empty', () => {
    assert.equal(keyOf({ id: null }, ['id']), undefined);
    assert.equal(keyOf({ a: 1, b: undefined }, ['a', 'b']), undefined);
    assert.equal(keyOf({ id: '' }, ['id']), undefined);
  });
});
