import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, rowHash } from './row-hash';

describe('row hashing', () => {
  it('is independent of key order at every depth', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: 2, c: 3 } }), '{"a":{"c":3,"d":2},"b":1}');
    assert.equal(rowHash({ b: 1, a: 2 }), rowHash({ a: 2, b: 1 }));
  });

  it('changes when any mapped value changes, including null vs missing', () => {
    const base = rowHash({ email: 'a@x.io', stage: 'lead' });
    assert.notEqual(base, rowHash({ email: 'a@x.io', stage: 'mql' }));
    assert.notEqual(rowHash({ a: null }), rowHash({}));
    assert.notEqual(rowHash({ a: 1 }), rowHash({ a: '1' }));
  });

  it('is the md5 hex of the canonical JSON (what the state store computes in SQL)', () => {
    assert.equal(rowHash({ a: 1 }), 'bb6cb5c68df4652941caf652a366f2d8'); // md5('{"a":1}')
  });

  it('serialises flat sorted rows as they are and sorts everything else', () => {
    assert.equal(canonicalJson({ a: 1, b: 'x', c: null }), '{"a":1,"b":"x","c":null}');
    assert.equal(canonicalJson({ b: 1, a: 2 }), '{"a":2,"b":1}');
    assert.equal(canonicalJson({ a: [{ z: 1, y: 2 }] }), '{"a":[{"y":2,"z":1}]}');
  });
});
