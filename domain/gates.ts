/**
 * Pre-write gates, as pure functions over the plan's counts: what must stop a run before any
 * write, what needs an operator's approval, and what is only worth a warning.
 */
import type { RunPlan } from './plan';

/** Gate settings of a sync (spec `gates`), with defaults applied. */
export interface GateRules {
  /** Rows with a null primary key are never sent; `fail` also stops the run. */
  nullKeys: 'fail' | 'warn';
  /** Rows sharing a primary key are never sent; `fail` also stops the run. */
  duplicateKeys: 'fail' | 'warn';
  /** Stop when the model shrank by more than this fraction since the last committed run. */
  maxShrink?: number;
  /** Pause for approval when deletes exceed this fraction of what the destination holds. */
  maxDeleteShare?: number;
}

/** What the gates say about a plan. */
export interface GateVerdict {
  /** Reasons to stop before any write. */
  failures: string[];
  /** Reasons to wait for an operator's approval before any write. */
  approvals: string[];
  warnings: string[];
}

/** Evaluates the gates for a plan. `previousRowsRead` is set only when it is comparable (diff mode). */
export function evaluateGates(plan: RunPlan, rules: GateRules): GateVerdict {
  const v: GateVerdict = { failures: [], approvals: [], warnings: [] };
  if (plan.nullKeys > 0) {
    const msg = `${plan.nullKeys} rows have a null primary key (never sent)`;
    (rules.nullKeys === 'fail' ? v.failures : v.warnings).push(msg);
  }
  for (const d of plan.destinations) {
    if (d.duplicates > 0) {
      const msg = `${d.duplicates} rows share a primary key with another row (never sent to ${d.destination})`;
      (rules.duplicateKeys === 'fail' ? v.failures : v.warnings).push(msg);
    }
    const held = d.committedRows ?? 0;
    if (rules.maxDeleteShare !== undefined && d.removes > 0 && held > 0 && d.removes / held > rules.maxDeleteShare) {
      v.approvals.push(
        `${d.removes} deletes would remove ${pct(d.removes / held)} of the ${held} rows ${d.destination} holds (cap ${pct(rules.maxDeleteShare)})`,
      );
    }
  }
  if (rules.maxShrink !== undefined && plan.previousRowsRead && plan.previousRowsRead > 0) {
    const shrink = (plan.previousRowsRead - plan.rowsRead) / plan.previousRowsRead;
    if (shrink > rules.maxShrink) {
      v.failures.push(`the model shrank ${pct(shrink)} since the last committed run (${plan.previousRowsRead} → ${plan.rowsRead} rows; limit ${pct(rules.maxShrink)})`);
    }
  }
  return v;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
