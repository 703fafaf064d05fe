import type { RunRecord } from '../../../domain/kpis';

/** One run as the report plots it: destinations folded into one point. */
export interface RunPoint {
  label: string;
  startedAt: string;
  status: string;
  latencyMinutes?: number;
  onTime?: boolean;
  rowCoverage?: number;
  changePropagationEfficiency?: number;
  costPerMillionRows?: number;
  rows: { ok: number; rejected: number; retryable: number; pending: number };
  /** Success rate (%) over this run and every earlier one in the window. */
  successRateSoFar: number;
  /** Freshness SLA attainment (%) so far, over runs that had an SLA. */
  attainmentSoFar?: number;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);

/** Runs (newest first, as the store lists them) as a time-ordered series. */
export function runSeries(runs: readonly RunRecord[]): RunPoint[] {
  const ordered = [...runs].sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
  let succeeded = 0;
  let slaRuns = 0;
  let onTime = 0;
  return ordered.map((r, i) => {
    const dests = r.destinations ?? [];
    const k = (f: (d: (typeof dests)[number]) => number | undefined) => mean(dests.map(f).filter((x): x is number => x !== undefined));
    if (r.status === 'committed') succeeded++;
    const slas = dests.map((d) => d.kpis?.onTime).filter((x): x is boolean => x !== undefined);
    if (slas.length) {
      slaRuns++;
      if (slas.every(Boolean)) onTime++;
    }
    return {
      label: `#${i + 1}`,
      startedAt: r.startedAt,
      status: r.status,
      latencyMinutes: k((d) => d.kpis?.latencyMinutes),
      onTime: slas.length ? slas.every(Boolean) : undefined,
      rowCoverage: k((d) => d.kpis?.rowCoverage),
      changePropagationEfficiency: k((d) => d.kpis?.changePropagationEfficiency),
      costPerMillionRows: k((d) => d.kpis?.costPerMillionRows),
      rows: dests.reduce((a, d) => ({ ok: a.ok + d.ok, rejected: a.rejected + d.rejected, retryable: a.retryable + d.retryable, pending: a.pending + d.pending }), { ok: 0, rejected: 0, retryable: 0, pending: 0 }),
      successRateSoFar: (succeeded / (i + 1)) * 100,
      attainmentSoFar: slaRuns ? (onTime / slaRuns) * 100 : undefined,
    };
  });
}
