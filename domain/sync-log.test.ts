import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SYNC_LOG_COLUMNS, SYNC_LOG_TABLE_PATTERN, syncLogRows } from './sync-log';

const run = { sync: 's', runId: 'r1', status: 'committed', startedAt: '2026-11-24T10:00:00.000Z', finishedAt: '2026-11-24T10:01:00.000Z' };

describe('syncLogRows', () => {
  it('gives a row per destination with counts and KPIs, every column present', () => {
    const rows = syncLogRows(run, [
      { destination: 'crm', mappingVersion: 'abc', adds: 3, changes: 1, removes: 0, ok: 3, rejected: 1, retryable: 0, pending: 1, kpis: { latencyMinutes: 1.5, onTime: true, rowCoverage: 75, changePropagationEfficiency: 1, costPerMillionRows: 2 } },
      { destination: 'ads', ok: 4 },
    ]);
    assert.equal(rows.length, 2);
    assert.deepEqual(Object.keys(rows[0]).sort(), SYNC_LOG_COLUMNS.map((c) => c.name).sort());
    assert.equal(rows[0].rows_rejected, 1);
    assert.equal(rows[0].on_time, true);
    assert.equal(rows[1].latency_minutes, null);
    assert.equal(rows[1].error, null);
  });

  it('records a failed run without destinations as one row with its error', () => {
    const [row] = syncLogRows({ ...run, status: 'failed', error: 'table missing' }, []);
    assert.equal(row.destination, null);
    assert.equal(row.error, 'table missing');
    assert.deepEqual(Object.keys(row).sort(), SYNC_LOG_COLUMNS.map((c) => c.name).sort());
  });

  it('accepts only plain table names', () => {
    for (const ok of ['ebb_sync_log', 'analytics.ebb_sync_log']) assert.match(ok, SYNC_LOG_TABLE_PATTERN);
    for (const bad of ['a.b.c', 'x; drop table y', '"quoted"', '1abc']) assert.doesNotMatch(bad, SYNC_LOG_TABLE_PATTERN);
  });
});
