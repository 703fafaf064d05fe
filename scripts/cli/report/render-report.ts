import type { SyncHealth } from '../../../domain/kpis';
import type { RunPoint } from './run-series';
import { kpiText as fmt } from '../format';
import { esc, lineChart, stackedBars } from './svg-charts';

/** One sync's section of the report. */
export interface SyncReport {
  sync: string;
  health: SyncHealth;
  series: RunPoint[];
}


/**
 * The sync-health report as one self-contained HTML page: per sync, the seed's KPIs over the
 * window as tiles, and charts over runs of latency, freshness attainment, coverage, success
 * rate, rows by outcome and change propagation efficiency. Pure: data in, HTML out.
 */
export function renderReport(o: { generatedAt: string; syncs: readonly SyncReport[] }): string {
  const sections = o.syncs.map(section).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ebb sync health</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2430;background:#fafbfc}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:32px 0 8px;border-top:1px solid #dde2e8;padding-top:16px}
.meta{color:#5b6675}.tiles{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0 12px}
.tile{background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:8px 12px;min-width:120px}
.tile b{display:block;font-size:18px}.charts{display:flex;flex-wrap:wrap;gap:12px}
figure.chart{background:#fff;border:1px solid #dde2e8;border-radius:6px;margin:0;padding:8px}
figcaption{font-weight:600;margin-bottom:4px} svg text{font-size:10px;fill:#5b6675}
.grid{stroke:#eef1f4}.line{fill:none;stroke:#3366cc;stroke-width:2}.point{fill:#3366cc}
.bar.ok{fill:#2e9d5b}.bar.rejected{fill:#d9534f}.bar.retryable{fill:#f0ad4e}.bar.pending{fill:#9aa5b1}
.empty{font-size:12px;fill:#9aa5b1}
</style></head><body>
<h1>ebb sync health</h1><div class="meta">generated ${esc(o.generatedAt)} · ${o.syncs.length} sync(s)</div>
${sections || '<p>No runs recorded yet.</p>'}
</body></html>
`;
}

function section(s: SyncReport): string {
  const h = s.health;
  const labels = s.series.map((p) => p.label);
  const tiles = [
    ['runs', String(h.runs)],
    ['success rate', fmt(h.successRate, '%')],
    ['freshness SLA attainment', fmt(h.freshnessAttainment, '%')],
    ['latency p50 / p95', `${fmt(h.latencyMinutes.p50, ' min')} / ${fmt(h.latencyMinutes.p95, ' min')}`],
    ['row coverage', fmt(h.rowCoverage, '%')],
    ['change propagation efficiency', fmt(h.changePropagationEfficiency)],
    ['cost per million rows', fmt(h.costPerMillionRows)],
  ]
    .map(([k, v]) => `<div class="tile">${esc(k)}<b>${esc(v)}</b></div>`)
    .join('');
  const charts = [
    lineChart({ id: 'latency', title: 'Sync latency (minutes)', unit: '', labels, values: s.series.map((p) => p.latencyMinutes) }),
    lineChart({ id: 'freshness', title: 'Freshness SLA attainment so far (%)', unit: '%', labels, values: s.series.map((p) => p.attainmentSoFar), max: 100 }),
    lineChart({ id: 'coverage', title: 'Row coverage (%)', unit: '%', labels, values: s.series.map((p) => p.rowCoverage), max: 100 }),
    lineChart({ id: 'success', title: 'Success rate so far (%)', unit: '%', labels, values: s.series.map((p) => p.successRateSoFar), max: 100 }),
    stackedBars({
      id: 'rows',
      title: 'Rows by outcome',
      labels,
      series: (['ok', 'rejected', 'retryable', 'pending'] as const).map((k) => ({ name: k, className: k, values: s.series.map((p) => p.rows[k]) })),
    }),
    lineChart({ id: 'cpe', title: 'Change propagation efficiency', labels, values: s.series.map((p) => p.changePropagationEfficiency) }),
  ].join('');
  return `<section data-sync="${esc(s.sync)}"><h2>${esc(s.sync)}</h2><div class="tiles">${tiles}</div><div class="charts">${charts}</div></section>`;
}
