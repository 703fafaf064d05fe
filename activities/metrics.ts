import type { MetricMeter } from '@temporalio/common';
import type { OutcomeCounts } from '../domain/plan';

/**
 * ebb's metrics, emitted through the worker's Temporal metric meter, so they are exported with
 * the SDK's own (e.g. on the Prometheus endpoint of EBB_METRICS_ADDRESS), tagged by sync and
 * destination. Names and counts only.
 */
export function applyMetrics(meter: MetricMeter) {
  const rows = meter.createCounter('ebb_rows', 'rows', 'Rows written to destinations, by outcome');
  const chunkLatency = meter.createHistogram('ebb_chunk_latency', 'int', 'ms', 'Time to write one chunk to its destination');
  const rateWaits = meter.createCounter('ebb_rate_limit_wait', 'ms', 'Time spent waiting because a destination asked to slow down');
  const budgetWaits = meter.createCounter('ebb_rate_budget_wait', 'ms', "Time spent waiting on the vendor account's shared request budget");
  return {
    /** Waits on the shared request budget (counted as they happen, across the slice). */
    budgetWait(ms: number): void {
      if (ms > 0) budgetWaits.add(Math.round(ms));
    },
    chunk(written: OutcomeCounts, writeMs: number, waitedMs: number): void {
      for (const outcome of ['ok', 'rejected', 'retryable'] as const) if (written[outcome] > 0) rows.add(written[outcome], { outcome });
      chunkLatency.record(Math.round(writeMs));
      if (waitedMs > 0) rateWaits.add(Math.round(waitedMs));
    },
  };
}
