import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertKinds, alertsForRun, schemaDrift } from './alerts';

const rules = { on: alertKinds, rejectionRate: 0.05, volumeChange: 0.5 };

describe('alert rules', () => {
  it('fire on a rejection rate over the threshold, per destination', () => {
    const a = alertsForRun({ rowsRead: 100, destinations: [{ destination: 'crm', ok: 90, rejected: 10, retryable: 0, latencyMinutes: 1 }] }, rules);
    assert.deepEqual(a, [{ kind: 'rejection-rate', message: 'rejection rate 10.0% on crm (10 of 100 rows; threshold 5.0%)' }]);
  });

  it('fire on an SLA breach, a volume anomaly and schema drift', () => {
    const a = alertsForRun(
      {
        rowsRead: 40,
        previousRowsRead: 100,
        drift: { added: ['b'], removed: [], retyped: [] },
        destinations: [{ destination: 'crm', ok: 40, rejected: 0, retryable: 0, onTime: false, latencyMinutes: 95 }],
      },
      rules,
    );
    assert.deepEqual(a.map((x) => x.kind), ['sla-breach', 'volume-anomaly', 'schema-drift']);
    assert.match(a[1].message, /-60% since the last run/);
  });

  it('stay quiet within thresholds and for kinds not subscribed to', () => {
    assert.deepEqual(alertsForRun({ rowsRead: 120, previousRowsRead: 100, destinations: [{ destination: 'x', ok: 99, rejected: 1, retryable: 0, latencyMinutes: 1 }] }, rules), []);
    assert.deepEqual(alertsForRun({ rowsRead: 1, previousRowsRead: 100, destinations: [] }, { ...rules, on: ['failure'] }), []);
  });

  it('schema drift lists added, removed and retyped columns', () => {
    assert.deepEqual(schemaDrift({ a: 'INTEGER', b: 'VARCHAR', c: 'DOUBLE' }, { a: 'BIGINT', c: 'DOUBLE', d: 'DATE' }), { added: ['d'], removed: ['b'], retyped: ['a: INTEGER → BIGINT'] });
    assert.equal(schemaDrift({ a: 'INTEGER' }, { a: 'INTEGER' }), undefined);
    assert.equal(schemaDrift(undefined, { a: 'INTEGER' }), undefined);
  });
});
