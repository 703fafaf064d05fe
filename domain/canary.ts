/**
 * The verdicts of the safety steps, as pure functions over counts: does a canary pass, and
 * has a running sync crossed its auto-halt threshold. No I/O: the workflow calls these.
 */
import type { AutoHaltSpec, CanarySpec } from './spec/safety';
import { mappingAccuracy, type ReadBackResult } from './read-back';
import type { OutcomeCounts } from './plan';

/** What the canary's checks found, per destination. */
export interface CanaryCheck {
  destination: string;
  /** Canary rows written and how the destination answered. */
  outcomes: OutcomeCounts;
  /** The read-back comparison, when configured and supported. */
  readBack?: ReadBackResult;
}

/** The canary's verdict: passed, or the reasons it failed. */
export interface CanaryVerdict {
  passed: boolean;
  reasons: string[];
  /** Per destination: rejection rate and mapping accuracy, for the run's result. */
  measured: Array<{ destination: string; rows: number; rejectionRate: number; mappingAccuracy?: number }>;
}

/** Judges the canary's checks against the spec's thresholds. */
export function canaryVerdict(checks: readonly CanaryCheck[], spec: Pick<CanarySpec, 'maxRejectionRate' | 'readBack'>): CanaryVerdict {
  const v: CanaryVerdict = { passed: true, reasons: [], measured: [] };
  for (const c of checks) {
    const answered = c.outcomes.ok + c.outcomes.rejected + c.outcomes.retryable;
    const rate = answered === 0 ? 0 : (c.outcomes.rejected + c.outcomes.retryable) / answered;
    const accuracy = c.readBack ? mappingAccuracy(c.readBack) : undefined;
    v.measured.push({ destination: c.destination, rows: answered, rejectionRate: rate, ...(accuracy === undefined ? {} : { mappingAccuracy: accuracy }) });
    if (rate > spec.maxRejectionRate) {
      v.reasons.push(`${c.destination}: ${pct(rate)} of ${answered} canary rows were not accepted (limit ${pct(spec.maxRejectionRate)})`);
    }
    if (spec.readBack && accuracy !== undefined && accuracy < spec.readBack.minAccuracy) {
      const fields = Object.entries(c.readBack?.mismatchedFields ?? {})
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([f, n]) => `${f} (${n})`);
      const missing = c.readBack?.missing ? `; ${c.readBack.missing} written records not found` : '';
      v.reasons.push(`${c.destination}: mapping accuracy ${pct(accuracy)} below ${pct(spec.readBack.minAccuracy)}${fields.length ? `; wrong fields: ${fields.join(', ')}` : ''}${missing}`);
    }
  }
  v.passed = v.reasons.length === 0;
  return v;
}

/** Whether a destination's outcomes so far cross the auto-halt threshold; the reason when they do. */
export function haltReason(destination: string, outcomes: OutcomeCounts, rule: Pick<AutoHaltSpec, 'rejectionRate' | 'minRows'>): string | undefined {
  const answered = outcomes.ok + outcomes.rejected + outcomes.retryable;
  if (answered < rule.minRows) return undefined;
  const rate = outcomes.rejected / answered;
  if (rate <= rule.rejectionRate) return undefined;
  return `${destination}: ${outcomes.rejected} of ${answered} rows rejected (${pct(rate)}, limit ${pct(rule.rejectionRate)})`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
