import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addComparison, compareRecord, mappingAccuracy, NO_READ_BACK, sameValue } from './read-back';

describe('read-back comparison', () => {
  it('compares by meaning: numbers as text, instants as Dates, objects in any key order', () => {
    assert.ok(sameValue(42, '42'));
    assert.ok(sameValue('0.5', 0.5));
    assert.ok(sameValue('2026-01-01T00:00:00.000Z', new Date('2026-01-01T00:00:00Z')));
    assert.ok(sameValue('2026-01-01T01:00:00+01:00', '2026-01-01T00:00:00Z'));
    assert.ok(sameValue({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }));
    assert.ok(sameValue(true, 'true'));
    assert.ok(sameValue(null, undefined));
  });

  it('tells different values apart', () => {
    assert.ok(!sameValue('churned', 'CHURNED'));
    assert.ok(!sameValue(1, 2));
    assert.ok(!sameValue('', 0), 'an empty string is not zero');
    assert.ok(!sameValue(null, ''));
    assert.ok(!sameValue({ a: 1 }, { a: 2 }));
  });

  it('counts matched and mismatched fields, and missing records as wholly wrong', () => {
    const one = compareRecord({ email: 'a@x', stage: 'lead' }, { email: 'a@x', stage: 'LEAD' });
    assert.deepEqual(one, { checked: 2, matched: 1, mismatched: ['stage'] });
    let total = addComparison(NO_READ_BACK, one, 2);
    total = addComparison(total, 'missing', 2);
    assert.deepEqual(total, { records: 2, missing: 1, inconsistent: 2, checked: 4, matched: 1, mismatchedFields: { stage: 1 } });
    assert.equal(mappingAccuracy(total), 0.25);
    assert.equal(mappingAccuracy(NO_READ_BACK), 1, 'nothing to check is not a failure');
  });
});
