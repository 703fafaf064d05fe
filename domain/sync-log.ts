/**
 * The sync log ebb writes back to the warehouse, closing the loop the seed asks for: one row
 * per run and destination, with counts and the run's KPIs, next to the models it came from, so
 * analysts join sync health with their own data. Counts and KPIs only: never row values.
 */
import type { KpiValues } from './kpis';

/** Column types the sync-log table uses, mapped by each warehouse to its own. */
export type SyncLogType = 'text' | 'bigint' | 'double' | 'boolean' | 'timestamp';

/** The sync-log table's columns, in order. */
export const SYNC_LOG_COLUMNS: readonly { name: string; type: SyncLogType }[] = [
  { name: 'sync', type: 'text' },
  { name: 'run_id', type: 'text' },
  { name: 'destination', type: 'text' },
  { name: 'status', type: 'text' },
  { name: 'started_at', type: 'timestamp' },
  { name: 'finished_at', type: 'timestamp' },
  { name: 'mapping_version', type: 'text' },
  { name: 'adds', type: 'bigint' },
  { name: 'changes', type: 'bigint' },
  { name: 'removes', type: 'bigint' },
  { name: 'rows_ok', type: 'bigint' },
  { name: 'rows_rejected', type: 'bigint' },
  { name: 'rows_retryable', type: 'bigint' },
  { name: 'rows_pending', type: 'bigint' },
  { name: 'latency_minutes', type: 'double' },
  { name: 'on_time', type: 'boolean' },
  { name: 'row_coverage', type: 'double' },
  { name: 'change_propagation_efficiency', type: 'double' },
  { name: 'cost_per_million_rows', type: 'double' },
  { name: 'error', type: 'text' },
  // Added after the first release: existing tables gain them (ADD COLUMN IF NOT EXISTS).
  { name: 'mapping_accuracy', type: 'double' },
  { name: 'consistency_error_rate', type: 'double' },
];

/** Columns added after the first release of the table. */
export const SYNC_LOG_ADDED_COLUMNS: readonly string[] = ['mapping_accuracy', 'consistency_error_rate'];

/** One sync-log row: column name to value (null where a run has no value). */
export type SyncLogRow = Record<string, string | number | boolean | null>;

/** A destination's counts and KPIs as a run summary holds them. */
export interface SummaryDestination {
  destination: string;
  mappingVersion?: string;
  adds?: number;
  changes?: number;
  removes?: number;
  ok?: number;
  rejected?: number;
  retryable?: number;
  pending?: number;
  kpis?: KpiValues;
}

/**
 * The sync-log rows of one finished run: a row per destination, or one row with no destination
 * for a run that failed before it had a per-destination result.
 */
export function syncLogRows(run: { sync: string; runId: string; status: string; startedAt: string; finishedAt: string; error?: string }, destinations: readonly SummaryDestination[]): SyncLogRow[] {
  const base = { sync: run.sync, run_id: run.runId, status: run.status, started_at: run.startedAt, finished_at: run.finishedAt, error: run.error ?? null };
  if (destinations.length === 0) {
    return [{ ...Object.fromEntries(SYNC_LOG_COLUMNS.map((c) => [c.name, null])), ...base, destination: null }];
  }
  return destinations.map((d) => ({
    ...base,
    destination: d.destination,
    mapping_version: d.mappingVersion ?? null,
    adds: d.adds ?? null,
    changes: d.changes ?? null,
    removes: d.removes ?? null,
    rows_ok: d.ok ?? null,
    rows_rejected: d.rejected ?? null,
    rows_retryable: d.retryable ?? null,
    rows_pending: d.pending ?? null,
    latency_minutes: d.kpis?.latencyMinutes ?? null,
    on_time: d.kpis?.onTime ?? null,
    row_coverage: d.kpis?.rowCoverage ?? null,
    change_propagation_efficiency: d.kpis?.changePropagationEfficiency ?? null,
    cost_per_million_rows: d.kpis?.costPerMillionRows ?? null,
    mapping_accuracy: d.kpis?.mappingAccuracy ?? null,
    consistency_error_rate: d.kpis?.consistencyErrorRate ?? null,
  }));
}

/** `schema.table` or `table`, each part a plain identifier: it goes into DDL, so nothing else is accepted. */
export const SYNC_LOG_TABLE_PATTERN = /^([A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*$/;
