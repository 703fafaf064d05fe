import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { compileMapping, mappedColumns, mappingVersion } from './mapping';

describe('compileMapping', () => {
  it('copies columns, sets static values, fills templates and coalesces', () => {
    const map = compileMapping({
      email: 'email',
      source: { value: 'ebb' },
      full_name: { template: '{first_name} {last_name}', transform: ['trim'] },
      phone: { coalesce: ['mobile', 'landline'] },
    });
    assert.deepEqual(map({ email: 'a@x.io', first_name: 'Ada', last_name: 'Lovelace', mobile: null, landline: '+441' }), {
      email: 'a@x.io',
      full_name: 'Ada Lovelace',
      phone: '+441',
      source: 'ebb',
    });
  });

  it('applies transforms in order and keeps nulls null', () => {
    const map = compileMapping({ e: { column: 'email', transform: ['trim', 'lowercase', 'sha256'] }, n: { column: 'x', transform: ['number'] } });
    const out = map({ email: '  Foo@Example.COM ', x: '42' });
    // sha256("foo@example.com"), the normalised form ad platforms match on
    assert.equal(out.e, '321ba197033e81286fedb719d60d4ed5cecaed170733cb4a92013811afc0e3b6');
    assert.equal(out.n, 42);
    assert.deepEqual(map({ email: null, x: null }), { e: null, n: null });
  });

  it('emits fields in a stable order whatever the mapping order', () => {
    const a = compileMapping({ b: 'x', a: 'y' })({ x: 1, y: 2 });
    assert.deepEqual(Object.keys(a), ['a', 'b']);
  });

  it('turns Dates and bigints into JSON values', () => {
    const out = compileMapping({ t: 't', n: 'n' })({ t: new Date('2026-01-02T03:04:05Z'), n: 10n });
    assert.deepEqual(out, { n: 10, t: '2026-01-02T03:04:05.000Z' });
  });

  it('lists the columns a mapping reads', () => {
    assert.deepEqual(
      mappedColumns({ a: 'c1', b: { column: 'c2' }, c: { coalesce: ['c3', 'c4'] }, d: { template: '{c5}-{c1}' }, e: { value: 1 } }).sort(),
      ['c1', 'c2', 'c3', 'c4', 'c5'],
    );
  });
});

describe('nested fields and formats', () => {
  it('writes dotted fields as nested objects', () => {
    const map = compileMapping({ id: 'id', 'address.city': 'city', 'address.geo.country': { column: 'country', transform: ['uppercase'] } });
    assert.deepEqual(map({ id: 1, city: 'Lyon', country: 'fr' }), { id: 1, address: { city: 'Lyon', geo: { country: 'FR' } } });
  });

  it('reads paths inside JSON and struct columns, null when absent', () => {
    const map = compileMapping({ city: { column: 'attrs', path: 'address.city' }, first_tag: { column: 'attrs', path: 'tags.0' } });
    assert.deepEqual(map({ attrs: { address: { city: 'Oslo' }, tags: ['vip'] } }), { city: 'Oslo', first_tag: 'vip' });
    assert.deepEqual(map({ attrs: '{"address":{"city":"Rome"},"tags":[]}' }), { city: 'Rome', first_tag: null });
    assert.deepEqual(map({ attrs: null }), { city: null, first_tag: null });
    assert.deepEqual(compileMapping({ x: { column: 'a', path: 'b' } })({ a: '{broken' }), { x: null });
  });

  it('formats dates after transforms', () => {
    const map = compileMapping({
      signup_date: { column: 'signed_up_at', format: 'date', timeZone: 'America/Los_Angeles' },
      signup_unix: { column: 'signed_up_at', format: 'unix' },
      renewal: { coalesce: ['renewal_at', 'signed_up_at'], format: 'datetime', timeZone: 'Europe/Paris' },
    });
    assert.deepEqual(map({ signed_up_at: new Date(Date.UTC(2026, 0, 1, 5)), renewal_at: null }), {
      renewal: '2026-01-01T06:00:00+01:00',
      signup_date: '2025-12-31',
      signup_unix: Date.UTC(2026, 0, 1, 5) / 1000,
    });
  });

  it('lists the JSON column a path reads', () => {
    assert.deepEqual(mappedColumns({ city: { column: 'attrs', path: 'address.city' } }), ['attrs']);
  });
});

describe('mappingVersion', () => {
  it('changes with any field mapping, transform, identity or mode, and not with key order', () => {
    const base = { mapping: { a: 'x', b: { column: 'y', transform: ['trim' as const] } }, mode: 'upsert' };
    assert.equal(mappingVersion(base), mappingVersion({ mode: 'upsert', mapping: { b: { column: 'y', transform: ['trim' as const] }, a: 'x' } }));
    assert.notEqual(mappingVersion(base), mappingVersion({ ...base, mapping: { ...base.mapping, b: { column: 'y', transform: ['trim', 'lowercase'] } } }));
    assert.notEqual(mappingVersion(base), mappingVersion({ ...base, mode: 'mirror' }));
    assert.notEqual(mappingVersion(base), mappingVersion({ ...base, idField: 'a' }));
    assert.match(mappingVersion(base), /^[0-9a-f]{12}$/);
  });
});

describe('e164 phone normalisation', () => {
  it('normalises national numbers with the default region, international ones as they are', () => {
    const map = compileMapping({ phone: { column: 'p', transform: ['e164'], region: 'US' } });
    assert.equal(map({ p: '(202) 555-0125' }).phone, '+12025550125');
    assert.equal(map({ p: '+44 20 7946 0958' }).phone, '+442079460958');
    assert.equal(map({ p: 'call me maybe' }).phone, null, 'unparseable numbers become null, never garbage');
    assert.equal(map({ p: null }).phone, null);
  });

  it("takes each row's region from a column, falling back to the default", () => {
    const map = compileMapping({ phone: { column: 'p', transform: ['e164', 'sha256'], regionColumn: 'country', region: 'US' } });
    const gb = map({ p: '020 7946 0958', country: 'gb' }).phone;
    const us = map({ p: '(202) 555-0125', country: null }).phone;
    assert.equal(gb, sha('+442079460958'));
    assert.equal(us, sha('+12025550125'));
    assert.deepEqual(mappedColumns({ phone: { column: 'p', transform: ['e164'], regionColumn: 'country' } }).sort(), ['country', 'p']);
  });
});

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
