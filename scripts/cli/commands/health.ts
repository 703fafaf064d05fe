import { syncHealth, type SyncHealth } from '../../../domain/kpis';
import { ExitCode } from '../client';
import { kpiText as fmt } from '../format';
import { openCliStateStore, toRunRecords } from '../state-store';

/**
 * `ebb health [--sync NAME] [--limit N]`: the seed's KPIs per sync over its recent runs, from
 * the state store (`EBB_STATE_URL`: the shared PostgreSQL store, or the embedded DuckDB file
 * when no worker holds it).
 */
export async function healthCommand(args: { sync?: string; limit: number; json: boolean; stateUrl?: string }): Promise<number> {
  const store = await openCliStateStore(args.stateUrl);
  try {
    const syncs = args.sync ? [args.sync] : await store.syncNames();
    const report: Record<string, SyncHealth> = {};
    for (const sync of syncs) report[sync] = syncHealth(toRunRecords(await store.recentRuns(sync, args.limit)));
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else if (syncs.length === 0) console.log('no runs recorded yet');
    else for (const [sync, h] of Object.entries(report)) console.log(formatHealth(sync, h));
    return ExitCode.ok;
  } finally {
    await store.close();
  }
}


function formatHealth(sync: string, h: SyncHealth): string {
  return [
    `${sync}  (${h.runs} runs)`,
    `  success rate ${fmt(h.successRate, '%')} · freshness SLA attainment ${fmt(h.freshnessAttainment, '%')} · latency p50 ${fmt(h.latencyMinutes.p50, ' min')}, p95 ${fmt(h.latencyMinutes.p95, ' min')}`,
    `  row coverage ${fmt(h.rowCoverage, '%')} · change propagation efficiency ${fmt(h.changePropagationEfficiency)} · cost per million rows ${fmt(h.costPerMillionRows)}`,
    `  mapping accuracy ${fmt(h.mappingAccuracy, '%')} · destination consistency error rate ${fmt(h.consistencyErrorRate, '%')} (from read-back samples)`,
    `  rows ok ${h.rows.ok} · rejected ${h.rows.rejected} · retryable ${h.rows.retryable} · pending ${h.rows.pending}`,
  ].join('\n');
}
