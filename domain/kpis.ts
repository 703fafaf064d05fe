/**
 * The seed's Reverse ETL health KPIs, as pure functions (no I/O, safe in workflow code).
 * Each returns undefined when its denominator is zero or its inputs are unknown, rather than
 * a misleading 0 or 100.
 */

const pct = (num: number, den: number): number | undefined => (den > 0 ? (num / den) * 100 : undefined);

/** Sync latency (minutes) = timestamp in destination − timestamp the warehouse data was ready. */
export function syncLatencyMinutes(destinationAt: number, warehouseReadyAt: number): number {
  return (destinationAt - warehouseReadyAt) / 60_000;
}

/** Freshness SLA attainment (%) = on-time syncs ÷ total scheduled syncs × 100. */
export function freshnessAttainment(latenciesMinutes: readonly number[], slaMinutes: number): number | undefined {
  return pct(latenciesMinutes.filter((l) => l <= slaMinutes).length, latenciesMinutes.length);
}

/** Row coverage (%) = rows successfully synced ÷ rows expected × 100. */
export function rowCoverage(rowsSynced: number, rowsExpected: number): number | undefined {
  return pct(rowsSynced, rowsExpected);
}

/** Field mapping accuracy (%) = correct field values ÷ total field values checked × 100. */
export function mappingAccuracy(correctValues: number, valuesChecked: number): number | undefined {
  return pct(correctValues, valuesChecked);
}

/** Both read-back KPIs from a read-back sample's counts. */
export function readBackKpis(r: { records: number; inconsistent: number; checked: number; matched: number }): { mappingAccuracy?: number; consistencyErrorRate?: number } {
  const out: { mappingAccuracy?: number; consistencyErrorRate?: number } = {};
  const accuracy = mappingAccuracy(r.matched, r.checked);
  const errors = consistencyErrorRate(r.inconsistent, r.records);
  if (accuracy !== undefined) out.mappingAccuracy = accuracy;
  if (errors !== undefined) out.consistencyErrorRate = errors;
  return out;
}

/** Sync success rate (%) = successful runs ÷ total runs × 100. */
export function successRate(successfulRuns: number, totalRuns: number): number | undefined {
  return pct(successfulRuns, totalRuns);
}

/**
 * Change propagation efficiency = rows changed in destination ÷ rows changed in the source
 * model. 1 means only deltas were pushed; above 1, reloads dominate.
 */
export function changePropagationEfficiency(rowsChangedInDestination: number, rowsChangedInSource: number): number | undefined {
  return rowsChangedInSource > 0 ? rowsChangedInDestination / rowsChangedInSource : undefined;
}

/** Destination consistency error rate (%) = invalid records in destination ÷ total records synced × 100. */
export function consistencyErrorRate(invalidRecords: number, recordsSynced: number): number | undefined {
  return pct(invalidRecords, recordsSynced);
}

/** A cost model for CPMRS: what a run costs, configured per sync. All amounts in one currency. */
export interface CostModel {
  /** Compute (worker and warehouse) per hour of run time. */
  computePerHour?: number;
  /** The tool's own price per million rows synced (0 for ebb; set it to compare with a vendor). */
  toolPerMillionRows?: number;
  /** Egress per GB sent to destinations. */
  egressPerGb?: number;
}

/** Cost per million rows synced = (compute + tool + egress) ÷ (rows synced ÷ 1,000,000). */
export function costPerMillionRows(model: CostModel, run: { durationMs: number; rowsSynced: number; bytesSent: number }): number | undefined {
  if (run.rowsSynced <= 0) return undefined;
  const millions = run.rowsSynced / 1_000_000;
  const compute = (model.computePerHour ?? 0) * (run.durationMs / 3_600_000);
  const tool = (model.toolPerMillionRows ?? 0) * millions;
  const egress = (model.egressPerGb ?? 0) * (run.bytesSent / 1e9);
  return (compute + tool + egress) / millions;
}

/** Conversions of one audience: how many were exposed, how many converted. */
export interface Cohort {
  size: number;
  conversions: number;
}

/** Result of {@link attributionLift}. */
export interface Lift {
  /** Conversion rate of the warehouse-defined segment. */
  treatmentRate: number;
  /** Conversion rate of the native-platform segment. */
  controlRate: number;
  /** Relative lift: (treatment − control) ÷ control. */
  lift: number | undefined;
  /** Absolute difference of the rates. */
  difference: number;
  /** Two-proportion z statistic (pooled). */
  z: number | undefined;
  /** 95% confidence interval of the difference (unpooled standard error). */
  ci95: [number, number];
}

/**
 * Attribution lift of a warehouse-defined segment over a native one, with the standard
 * two-proportion z-test: `z = (p1 − p2) / sqrt(p(1−p)(1/n1 + 1/n2))`, pooled `p`.
 */
export function attributionLift(treatment: Cohort, control: Cohort): Lift {
  const p1 = treatment.size > 0 ? treatment.conversions / treatment.size : 0;
  const p2 = control.size > 0 ? control.conversions / control.size : 0;
  const pooled = (treatment.conversions + control.conversions) / Math.max(1, treatment.size + control.size);
  const sePooled = Math.sqrt(pooled * (1 - pooled) * (1 / Math.max(1, treatment.size) + 1 / Math.max(1, control.size)));
  const se = Math.sqrt((p1 * (1 - p1)) / Math.max(1, treatment.size) + (p2 * (1 - p2)) / Math.max(1, control.size));
  const difference = p1 - p2;
  return {
    treatmentRate: p1,
    controlRate: p2,
    lift: p2 > 0 ? difference / p2 : undefined,
    difference,
    z: sePooled > 0 ? difference / sePooled : undefined,
    ci95: [difference - 1.96 * se, difference + 1.96 * se],
  };
}

/** The KPI values one run records per destination (see workflows/types.ts RunKpis). */
export interface KpiValues {
  latencyMinutes?: number;
  onTime?: boolean;
  rowCoverage?: number;
  changePropagationEfficiency?: number;
  costPerMillionRows?: number;
  /** From read-back samples (canary or post-write verification). */
  mappingAccuracy?: number;
  consistencyErrorRate?: number;
}

/** What one recorded run contributes to a sync's health. */
export interface RunRecord {
  status: 'committed' | 'failed' | string;
  startedAt: string;
  /** Per destination, from the run summary (counts and KPIs). */
  destinations?: Array<{
    destination: string;
    ok: number;
    rejected: number;
    retryable: number;
    pending: number;
    kpis?: KpiValues;
  }>;
}

/** A sync's health over a window of runs: the seed's KPIs aggregated. */
export interface SyncHealth {
  runs: number;
  successRate?: number;
  /** Over runs that had an SLA. */
  freshnessAttainment?: number;
  latencyMinutes: { p50?: number; p95?: number };
  rowCoverage?: number;
  changePropagationEfficiency?: number;
  costPerMillionRows?: number;
  /** Mean over runs that read records back. */
  mappingAccuracy?: number;
  consistencyErrorRate?: number;
  rows: { ok: number; rejected: number; retryable: number; pending: number };
}

/** Aggregates recorded runs into {@link SyncHealth}. Coverage and CPE are row-weighted, not averaged per run. */
export function syncHealth(runs: readonly RunRecord[]): SyncHealth {
  const committed = runs.filter((r) => r.status === 'committed');
  const dests = committed.flatMap((r) => r.destinations ?? []);
  const latencies = dests.map((d) => d.kpis?.latencyMinutes).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  const slaRuns = dests.filter((d) => d.kpis?.onTime !== undefined);
  const rows = dests.reduce(
    (acc, d) => ({ ok: acc.ok + d.ok, rejected: acc.rejected + d.rejected, retryable: acc.retryable + d.retryable, pending: acc.pending + d.pending }),
    { ok: 0, rejected: 0, retryable: 0, pending: 0 },
  );
  const planned = rows.ok + rows.pending;
  const costs = dests.map((d) => d.kpis?.costPerMillionRows).filter((x): x is number => x !== undefined);
  const cpes = dests.filter((d) => d.kpis?.changePropagationEfficiency !== undefined);
  const changedInSource = cpes.reduce((n, d) => n + d.ok / (d.kpis!.changePropagationEfficiency as number), 0);
  return {
    runs: runs.length,
    successRate: successRate(committed.length, runs.length),
    freshnessAttainment: pct(slaRuns.filter((d) => d.kpis!.onTime).length, slaRuns.length),
    latencyMinutes: { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95) },
    rowCoverage: rowCoverage(rows.ok, planned),
    changePropagationEfficiency: changePropagationEfficiency(cpes.reduce((n, d) => n + d.ok, 0), changedInSource),
    costPerMillionRows: costs.length ? costs.reduce((a, b) => a + b, 0) / costs.length : undefined,
    mappingAccuracy: mean(dests.map((d) => d.kpis?.mappingAccuracy)),
    consistencyErrorRate: mean(dests.map((d) => d.kpis?.consistencyErrorRate)),
    rows,
  };
}

function mean(values: readonly (number | undefined)[]): number | undefined {
  const known = values.filter((x): x is number => x !== undefined);
  return known.length ? known.reduce((a, b) => a + b, 0) / known.length : undefined;
}

function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}
