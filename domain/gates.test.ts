import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateGates } from './gates';
import type { DestinationPlan, RunPlan } from './plan';

const dest = (over: Partial<DestinationPlan> = {}): DestinationPlan => ({
  destination: 'crm', adds: 0, changes: 0, removes: 0, resends: 0, unchanged: 0, duplicates: 0, total: 0, chunkSize: 100, chunks: 0, committedRows: 1_000, ...over,
});
const plan = (over: Partial<RunPlan> = {}, d: Partial<DestinationPlan> = {}): RunPlan => ({ runId: 'r', rowsRead: 1_000, nullKeys: 0, destinations: [dest(d)], ...over });
const rules = { nullKeys: 'warn' as const, duplicateKeys: 'warn' as const, maxShrink: 0.5, maxDeleteShare: 0.2 };

describe('pre-write gates', () => {
  it('pass a healthy plan', () => {
    assert.deepEqual(evaluateGates(plan({ previousRowsRead: 990 }, { removes: 10 }), rules), { failures: [], approvals: [], warnings: [] });
  });

  it('warn or fail on null and duplicate keys, by policy', () => {
    const p = plan({ nullKeys: 3 }, { duplicates: 4 });
    assert.deepEqual(evaluateGates(p, rules).warnings, ['3 rows have a null primary key (never sent)', '4 rows share a primary key with another row (never sent to crm)']);
    assert.equal(evaluateGates(p, { ...rules, nullKeys: 'fail', duplicateKeys: 'fail' }).failures.length, 2);
  });

  it('fail when the model shrank past the limit', () => {
    assert.deepEqual(evaluateGates(plan({ rowsRead: 400, previousRowsRead: 1_000 }), rules).failures, [
      'the model shrank 60.0% since the last committed run (1000 → 400 rows; limit 50.0%)',
    ]);
  });

  it('ask for approval when deletes exceed the cap of what the destination holds', () => {
    assert.deepEqual(evaluateGates(plan({}, { removes: 300 }), rules).approvals, ['300 deletes would remove 30.0% of the 1000 rows crm holds (cap 20.0%)']);
    assert.deepEqual(evaluateGates(plan({}, { removes: 300 }), { ...rules, maxDeleteShare: undefined }).approvals, []);
  });
});
