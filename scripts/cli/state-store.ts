import path from 'node:path';
import type { RunRecord } from '../../domain/kpis';
import { openStateStore } from '../../state/open';
import type { StateStore } from '../../state/store';
import { CliError, ExitCode } from './client';

/**
 * Opens the state store the CLI reads KPIs from (`EBB_STATE_URL`: the shared PostgreSQL store,
 * or the embedded DuckDB file when no worker holds it), with an error that says what to do.
 */
export async function openCliStateStore(stateUrl?: string): Promise<StateStore> {
  const url = stateUrl ?? process.env.EBB_STATE_URL ?? `duckdb:${path.resolve('.ebb', 'state.duckdb')}`;
  try {
    return await openStateStore(url);
  } catch (err) {
    const busy = /lock|Conflicting/i.test(String((err as Error).message));
    throw new CliError(
      busy
        ? `the embedded state store ${url} is held by a running worker (DuckDB allows one process); stop it, or use a PostgreSQL state store for shared access`
        : `cannot open the state store: ${(err as Error).message}`,
      ExitCode.failed,
    );
  }
}

/** Run rows as the store lists them, as KPI records. */
export function toRunRecords(rows: Record<string, unknown>[]): RunRecord[] {
  return rows.map((r) => ({
    status: String(r.status),
    startedAt: r.started_at instanceof Date ? r.started_at.toISOString() : String(r.started_at),
    destinations: typeof r.summary === 'string' ? (JSON.parse(r.summary) as RunRecord['destinations']) : undefined,
  }));
}
