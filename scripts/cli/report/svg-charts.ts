/**
 * Small, dependency-free SVG charts for the health report: the report is one static HTML file
 * an operator can mail or archive, so nothing is fetched from a CDN.
 */

const W = 560;
const H = 200;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };

/** Escapes text for HTML and SVG content and attributes. */
export const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const num = (v: number) => (Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(2));

function axes(labels: readonly string[], max: number, unit: string): string {
  const ticks = [0, 0.5, 1].map((f) => {
    const y = PAD.top + (1 - f) * (H - PAD.top - PAD.bottom);
    return `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}" class="grid"/><text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end">${num(max * f)}${esc(unit)}</text>`;
  });
  const step = Math.max(1, Math.ceil(labels.length / 12));
  const xs = labels
    .map((l, i) => (i % step === 0 ? `<text x="${x(i, labels.length)}" y="${H - 8}" text-anchor="middle">${esc(l)}</text>` : ''))
    .join('');
  return ticks.join('') + xs;
}

function x(i: number, n: number): number {
  const inner = W - PAD.left - PAD.right;
  return PAD.left + (n <= 1 ? inner / 2 : (i / (n - 1)) * inner);
}

function y(v: number, max: number): number {
  return PAD.top + (1 - (max > 0 ? v / max : 0)) * (H - PAD.top - PAD.bottom);
}

/** A line chart with a marker per defined value; gaps where a run has none. */
export function lineChart(o: { id: string; title: string; unit?: string; labels: readonly string[]; values: readonly (number | undefined)[]; max?: number }): string {
  const defined = o.values.filter((v): v is number => v !== undefined);
  const max = o.max ?? Math.max(1e-9, ...defined) * 1.1;
  const pts = o.values.map((v, i) => (v === undefined ? undefined : ([x(i, o.values.length), y(v, max), v] as const)));
  const segments: string[] = [];
  let run: string[] = [];
  for (const p of pts) {
    if (p) run.push(`${p[0].toFixed(1)},${p[1].toFixed(1)}`);
    else if (run.length) {
      segments.push(run.join(' '));
      run = [];
    }
  }
  if (run.length) segments.push(run.join(' '));
  const body = defined.length
    ? segments.map((s) => `<polyline points="${s}" class="line"/>`).join('') +
      pts.map((p) => (p ? `<circle cx="${p[0].toFixed(1)}" cy="${p[1].toFixed(1)}" r="3.5" class="point" data-value="${p[2]}"><title>${num(p[2])}${esc(o.unit ?? '')}</title></circle>` : '')).join('')
    : `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="empty">no data in this window</text>`;
  return figure(o.id, o.title, `${axes(o.labels, max, o.unit ?? '')}${body}`);
}

/** Stacked bars, one per run, a colour per series. */
export function stackedBars(o: { id: string; title: string; labels: readonly string[]; series: readonly { name: string; className: string; values: readonly number[] }[] }): string {
  const totals = o.labels.map((_, i) => o.series.reduce((n, s) => n + s.values[i], 0));
  const max = Math.max(1, ...totals) * 1.1;
  const inner = W - PAD.left - PAD.right;
  const bw = Math.max(2, Math.min(28, (inner / Math.max(1, o.labels.length)) * 0.6));
  const bars = o.labels
    .map((label, i) => {
      let base = 0;
      return o.series
        .map((s) => {
          const v = s.values[i];
          if (v <= 0) return '';
          const top = y(base + v, max);
          const h = y(base, max) - top;
          base += v;
          return `<rect x="${(x(i, o.labels.length) - bw / 2).toFixed(1)}" y="${top.toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" class="bar ${s.className}" data-series="${esc(s.name)}" data-value="${v}"><title>${esc(label)} ${esc(s.name)}: ${v}</title></rect>`;
        })
        .join('');
    })
    .join('');
  const legend = o.series.map((s, i) => `<rect x="${PAD.left + i * 110}" y="${H + 4}" width="10" height="10" class="bar ${s.className}"/><text x="${PAD.left + i * 110 + 14}" y="${H + 13}">${esc(s.name)}</text>`).join('');
  return figure(o.id, o.title, `${axes(o.labels, max, '')}${bars}${legend}`, H + 20);
}

function figure(id: string, title: string, inner: string, height = H): string {
  return `<figure class="chart" data-chart="${esc(id)}"><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="${esc(title)}">${inner}</svg></figure>`;
}
