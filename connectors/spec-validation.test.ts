import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateSpec } from './spec-validation';

const spec = (mapping: Record<string, unknown>) => ({
  name: 'nested',
  source: { kind: 'duckdb', connection: { path: 'w.duckdb' } },
  model: { table: 't' },
  primaryKey: 'id',
  destinations: [{ name: 'hook', kind: 'webhook', connection: { url: 'http://x', signingSecret: { env: 'S' } }, object: 'o', mapping }],
});

describe('mapping validation', () => {
  it('accepts nested fields, JSON paths and date formats', () => {
    const s = validateSpec(spec({ id: 'id', 'address.city': { column: 'attrs', path: 'address.city' }, since: { column: 'created_at', format: 'date', timeZone: 'Europe/Berlin' } }), 'nested.yaml');
    assert.equal(Object.keys(s.destinations[0].mapping).length, 3);
  });

  it('names a field mapped both as a value and as a parent of another', () => {
    assert.throws(() => validateSpec(spec({ id: 'id', address: 'a', 'address.city': 'c' }), 'nested.yaml'), /destinations\[0\]\.mapping\.address\.city: "address" is mapped as a value, so it cannot also hold "address\.city"/);
  });

  it('names an empty nested segment and an unknown time zone', () => {
    assert.throws(() => validateSpec(spec({ id: 'id', 'a..b': 'x' }), 'nested.yaml'), /mapping\.a\.\.b: a nested field needs a name on both sides/);
    assert.throws(() => validateSpec(spec({ id: 'id', d: { column: 'c', format: 'date', timeZone: 'Mars/Olympus' } }), 'nested.yaml'), /mapping\.d\.timeZone: an IANA time zone/);
  });
});
