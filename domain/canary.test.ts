import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canaryVerdict, haltReason } from './canary';

const outcomes = (ok: number, rejected: number, retryable = 0) => ({ ok, rejected, retryable, bytesSent: 0 });

describe('canary verdict', () => {
  it('passes within the rejection limit and accuracy floor', () => {
    const v = canaryVerdict([{ destination: 'crm', outcomes: outcomes(99, 1), readBack: { records: 10, missing: 0, inconsistent: 0, checked: 30, matched: 30, mismatchedFields: {} } }], {
      maxRejectionRate: 0.02,
      readBack: { sample: 10, minAccuracy: 1 },
    });
    assert.equal(v.passed, true);
    assert.deepEqual(v.measured, [{ destination: 'crm', rows: 100, rejectionRate: 0.01, mappingAccuracy: 1 }]);
  });

  it('fails naming the destination, the rate and the fields read back wrong', () => {
    const v = canaryVerdict(
      [
        { destination: 'crm', outcomes: outcomes(90, 5, 5) },
        { destination: 'ads', outcomes: outcomes(50, 0), readBack: { records: 10, missing: 1, inconsistent: 4, checked: 30, matched: 24, mismatchedFields: { stage: 3, email: 1 } } },
      ],
      { maxRejectionRate: 0.05, readBack: { sample: 10, minAccuracy: 0.99 } },
    );
    assert.equal(v.passed, false);
    assert.deepEqual(v.reasons, [
      'crm: 10.0% of 100 canary rows were not accepted (limit 5.0%)',
      'ads: mapping accuracy 80.0% below 99.0%; wrong fields: stage (3), email (1); 1 written records not found',
    ]);
  });
});

describe('auto-halt', () => {
  it('waits for minRows, then halts above the rate', () => {
    const rule = { rejectionRate: 0.1, minRows: 100 };
    assert.equal(haltReason('crm', outcomes(40, 40), rule), undefined, 'too few rows to judge');
    assert.equal(haltReason('crm', outcomes(95, 5), rule), undefined);
    assert.equal(haltReason('crm', outcomes(80, 20), rule), 'crm: 20 of 100 rows rejected (20.0%, limit 10.0%)');
  });
});
