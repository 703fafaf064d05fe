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

describe('identity precedence validation', () => {
  const withMatch = (dest: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const s = spec({ crm_id: 'id', email: 'email' }) as Record<string, unknown> & { destinations: Record<string, unknown>[] };
    s.destinations[0] = { ...s.destinations[0], ...dest };
    return { ...s, ...extra };
  };

  it('accepts mapped identifiers; the first becomes the identity field', () => {
    const s = validateSpec(withMatch({ matchOn: ['crm_id', 'email'] }), 'm.yaml');
    assert.deepEqual(s.destinations[0].matchOn, ['crm_id', 'email']);
  });

  it('names an identifier that is not mapped, an idField that disagrees, and matchOn with rollback', () => {
    assert.throws(() => validateSpec(withMatch({ matchOn: ['crm_id', 'phone'] }), 'm.yaml'), /destinations\[0\]\.matchOn\[1\]: "phone" is not a mapped field/);
    assert.throws(() => validateSpec(withMatch({ matchOn: ['crm_id', 'email'], idField: 'email' }), 'm.yaml'), /destinations\[0\]\.idField: with matchOn, idField is its first identifier \("crm_id"\)/);
    assert.throws(() => validateSpec(withMatch({ matchOn: ['crm_id', 'email'] }, { beforeImages: true }), 'm.yaml'), /matchOn with rollback is not supported yet/);
  });
});
