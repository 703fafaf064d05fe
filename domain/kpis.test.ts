import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  attributionLift,
  changePropagationEfficiency,
  consistencyErrorRate,
  costPerMillionRows,
  freshnessAttainment,
  mappingAccuracy,
  rowCoverage,
  successRate,
  syncHealth,
  syncLatencyMinutes,
} from './kpis';

describe('health KPIs (the seed formulas)', () => {
  it('sync latency is destination time minus warehouse-ready time, in minutes', () => {
    assert.equal(syncLatencyMinutes(Date.UTC(2026, 0, 1, 10, 45), Date.UTC(2026, 0, 1, 10, 0)), 45);
  });

  it('freshness attainment counts on-time syncs against the SLA', () => {
    assert.equal(freshnessAttainment([10, 25, 31, 60], 30), 50);
    assert.equal(freshnessAttainment([], 30), undefined);
  });

  it('coverage, accuracy, success and error rates are percentages, undefined without a denominator', () => {
    assert.equal(rowCoverage(990, 1_000), 99);
    assert.equal(mappingAccuracy(47, 50), 94);
    assert.equal(successRate(19, 20), 95);
    assert.equal(consistencyErrorRate(3, 1_000), 0.3);
    assert.equal(rowCoverage(0, 0), undefined);
  });

  it('CPE is 1 when only deltas move and grows when reloads dominate', () => {
    assert.equal(changePropagationEfficiency(1_000, 1_000), 1);
    assert.equal(changePropagationEfficiency(100_000, 1_000), 100);
    assert.equal(changePropagationEfficiency(0, 0), undefined);
  });

  it('cost per million rows adds compute, tool and egress, per million rows synced', () => {
    // 30 min at 2/h = 1; 2M rows at 0.5/M = 1; 3 GB at 0.1/GB = 0.3 → 2.3 for 2M rows → 1.15 per M
    const cpm = costPerMillionRows({ computePerHour: 2, toolPerMillionRows: 0.5, egressPerGb: 0.1 }, { durationMs: 1_800_000, rowsSynced: 2_000_000, bytesSent: 3e9 });
    assert.ok(Math.abs((cpm ?? 0) - 1.15) < 1e-9);
    assert.equal(costPerMillionRows({}, { durationMs: 1, rowsSynced: 0, bytesSent: 0 }), undefined);
  });

  it('attribution lift uses the two-proportion z-test', () => {
    // 5% vs 4% on 10,000 each: lift 25%, pooled p 4.5%, z = 0.01 / sqrt(0.045·0.955·2/10000) ≈ 3.411
    const r = attributionLift({ size: 10_000, conversions: 500 }, { size: 10_000, conversions: 400 });
    assert.ok(Math.abs((r.lift ?? 0) - 0.25) < 1e-12);
    assert.ok(Math.abs((r.z ?? 0) - 3.4110) < 1e-3);
    assert.ok(r.ci95[0] > 0 && r.ci95[1] < 0.02, 'the interval excludes zero');
    assert.equal(attributionLift({ size: 10, conversions: 1 }, { size: 10, conversions: 0 }).lift, undefined);
  });
});

describe('sync health over runs', () => {
  const run = (status: string, ok: number, pending: number, latency: number, onTime?: boolean, cpe?: number) => ({
    status,
    startedAt: '2026-11-24T00:00:00Z',
    destinations: status === 'committed' ? [{ destination: 'd', ok, rejected: pending, retryable: 0, pending, kpis: { latencyMinutes: latency, onTime, changePropagationEfficiency: cpe } }] : undefined,
  });

  it('aggregates success rate, freshness attainment, latency quantiles, coverage and CPE', () => {
    const h = syncHealth([run('committed', 90, 10, 5, true, 1), run('committed', 100, 0, 50, false, 2), run('failed', 0, 0, 0), run('committed', 10, 0, 10, true, 1)]);
    assert.equal(h.runs, 4);
    assert.equal(h.successRate, 75);
    assert.ok(Math.abs((h.freshnessAttainment ?? 0) - 200 / 3) < 1e-9);
    assert.deepEqual(h.latencyMinutes, { p50: 10, p95: 50 });
    assert.equal(h.rowCoverage, (200 / 210) * 100);
    // rows changed in source: 90/1 + 100/2 + 10/1 = 150; sent ok 200 → CPE 4/3
    assert.ok(Math.abs((h.changePropagationEfficiency ?? 0) - 200 / 150) < 1e-9);
    assert.deepEqual(h.rows, { ok: 200, rejected: 10, retryable: 0, pending: 10 });
  });

  it('says nothing rather than 0% or 100% without runs', () => {
    const h = syncHealth([]);
    assert.equal(h.successRate, undefined);
    assert.equal(h.rowCoverage, undefined);
  });
});
