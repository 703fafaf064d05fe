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

  it('is 128 bits of base64url', () => {
    assert.match(rowHash({ a: 1 }), /^[A-Za-z0-9_-]{22}$/);
  });
});
