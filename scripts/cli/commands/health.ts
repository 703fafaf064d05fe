import path from 'node:path';
import { syncHealth, type RunRecord, type SyncHealth } from '../../../domain/kpis';
import { openStateStore } from '../../../state/open';
import type { StateStore } from '../../../state/store';
import { CliError, ExitCode } from '../client';

/**
 * `ebb health [--sync NAME] [--limit N]`: the seed's KPIs per sync over its recent runs, from
 * the state store (`EBB_STATE_URL`: the shared PostgreSQL store, or the embedded DuckDB file
 * when no worker holds it).
 */
export async function healthCommand(args: { sync?: string; limit: number; json: boolean; stateUrl?: string }): Promise<number> {
  const url = args.stateUrl ?? process.env.EBB_STATE_URL ?? `duckdb:${path.resolve('.ebb', 'state.duckdb')}`;
  let store: StateStore;
  try {
    store = await openStateStore(url);
  } catch (err) {
    const busy = /lock|Conflicting/i.test(String((err as Error).message));
    throw new CliError(
      busy
        ? `the embedded state store ${url} is held by a running worker (DuckDB allows one process); stop it, or use a PostgreSQL state store for shared access`
        : `cannot open the state store: ${(err as Error).message}`,
      ExitCode.failed,
    );
  }
  try {
    const syncs = args.sync ? [args.sync] : await store.syncNames();
    const report: Record<string, SyncHealth> = {};
    for (const sync of syncs) report[sync] = syncHealth(toRecords(await store.recentRuns(sync, args.limit)));
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else if (syncs.length === 0) console.log('no runs recorded yet');
    else for (const [sync, h] of Object.entries(report)) console.log(formatHealth(sync, h));
    return ExitCode.ok;
  } finally {
    await store.close();
  }
}

function toRecords(rows: Record<string, unknown>[]): RunRecord[] {
  return rows.map((r) => ({
    status: String(r.status),
    startedAt: String(r.started_at),
    destinations: typeof r.summary === 'string' ? (JSON.parse(r.summary) as RunRecord['destinations']) : undefined,
  }));
}

const fmt = (v: number | undefined, unit = '') => (v === undefined ? '–' : `${Number.isInteger(v) ? v : v.toFixed(2)}${unit}`);

function formatHealth(sync: string, h: SyncHealth): string {
  return [
    `${sync}  (${h.runs} runs)`,
    `  success rate ${fmt(h.successRate, '%')} · freshness SLA attainment ${fmt(h.freshnessAttainment, '%')} · latency p50 ${fmt(h.latencyMinutes.p50, ' min')}, p95 ${fmt(h.latencyMinutes.p95, ' min')}`,
    `  row coverage ${fmt(h.rowCoverage, '%')} · change propagation efficiency ${fmt(h.changePropagationEfficiency)} · cost per million rows ${fmt(h.costPerMillionRows)}`,
    `  rows ok ${h.rows.ok} · rejected ${h.rows.rejected} · retryable ${h.rows.retryable} · pending ${h.rows.pending}`,
  ].join('\n');
}
