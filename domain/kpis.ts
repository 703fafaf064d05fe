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
