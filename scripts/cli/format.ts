import { describeDrift } from '../../domain/alerts';
import type { SyncProgress, SyncRunResult } from '../../workflows/types';

/** A KPI for people: `–` when a window has none, integers as is, else two decimals. */
export const kpiText = (v: number | undefined, unit = '') => (v === undefined ? '–' : `${Number.isInteger(v) ? v : v.toFixed(2)}${unit}`);

/** A run summary for people: one line per destination. */
export function formatRunResult(r: SyncRunResult): string {
  const lines = [
    `sync ${r.sync}  run ${r.runId}  ${r.status}  ${(r.durationMs / 1000).toFixed(1)}s  rows read ${r.rowsRead}${r.nullKeys ? `  null keys ${r.nullKeys}` : ''}`,
  ];
  if (r.policyVersion) lines.push(`  consent policy ${r.policyVersion}`);
  if (r.schemaDrift) lines.push(`  ! the model's columns changed since the last committed run: ${describeDrift(r.schemaDrift)}`);
  for (const d of r.destinations) {
    lines.push(
      `  → ${d.destination.padEnd(16)} planned ${d.total} (adds ${d.adds}, changes ${d.changes}, removes ${d.removes}, unchanged ${d.unchanged}${d.duplicates ? `, duplicate keys ${d.duplicates}` : ''})` +
        `  sent ok ${d.ok}  rejected ${d.rejected}  retryable ${d.retryable}  committed ${d.committed}  pending ${d.pending}`,
    );
    if (d.suppressed) lines.push(`    suppressed: ${Object.entries(d.suppressed).map(([why, n]) => `${why} ${n}`).join(' · ')}`);
    const k = d.kpis;
    const parts = [
      `latency ${k.latencyMinutes.toFixed(2)} min${k.onTime === undefined ? '' : k.onTime ? ' (on time)' : ' (late)'}`,
      k.rowCoverage === undefined ? undefined : `coverage ${k.rowCoverage.toFixed(1)}%`,
      k.changePropagationEfficiency === undefined ? undefined : `CPE ${k.changePropagationEfficiency.toFixed(2)}`,
      k.costPerMillionRows === undefined ? undefined : `cost/M rows ${k.costPerMillionRows.toFixed(4)}`,
    ];
    lines.push(`    KPIs: ${parts.filter(Boolean).join(' · ')}`);
  }
  return lines.join('\n');
}

/** A one-line progress bar from the progress query. */
export function formatProgress(p: SyncProgress): string {
  const dests = Object.entries(p.destinations);
  const total = p.plan?.destinations.reduce((n, d) => n + d.chunks, 0) ?? 0;
  const done = dests.reduce((n, [, d]) => n + d.chunksDone, 0);
  const width = 24;
  const filled = total ? Math.round((done / total) * width) : p.phase === 'done' ? width : 0;
  const waitMs = dests.reduce((n, [, d]) => n + (d.budgetWaitMs ?? 0), 0);
  const waited = waitMs > 0 ? `  rate-budget wait ${(waitMs / 1000).toFixed(1)} s` : '';
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.phase.padEnd(10)} chunks ${done}/${total}${p.plan ? `  rows read ${p.plan.rowsRead}` : ''}${waited}`;
}

/** Link to a workflow in the Temporal Web UI. */
export function uiLink(workflowId: string, runId: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.TEMPORAL_UI_URL ?? 'http://localhost:8233';
  const ns = env.TEMPORAL_NAMESPACE ?? 'default';
  return `${base}/namespaces/${ns}/workflows/${encodeURIComponent(workflowId)}${runId ? `/${runId}` : ''}/history`;
}
