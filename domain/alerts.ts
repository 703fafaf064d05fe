/**
 * Alert rules, as pure functions: given what a run did (and the previous run), which alerts
 * fire. Messages carry names and counts only, never row data.
 */

/** The alert kinds a sync can subscribe to. */
export const alertKinds = ['failure', 'sla-breach', 'rejection-rate', 'volume-anomaly', 'schema-drift'] as const;
export type AlertKind = (typeof alertKinds)[number];

/** One alert to send. */
export interface Alert {
  kind: AlertKind;
  /** One line for people, e.g. "rejection rate 12.0% on crm-webhook (threshold 5%)". */
  message: string;
}

/** How a model's columns changed since the last committed run. */
export interface SchemaDrift {
  added: string[];
  removed: string[];
  /** `name: OLDTYPE → NEWTYPE`. */
  retyped: string[];
}

/** Compares column lists (`name` → `type`). Undefined when nothing changed or there is no previous run. */
export function schemaDrift(previous: Record<string, string> | undefined, current: Record<string, string>): SchemaDrift | undefined {
  if (!previous) return undefined;
  const added = Object.keys(current).filter((c) => !(c in previous)).sort();
  const removed = Object.keys(previous).filter((c) => !(c in current)).sort();
  const retyped = Object.keys(current)
    .filter((c) => c in previous && previous[c] !== current[c])
    .sort()
    .map((c) => `${c}: ${previous[c]} → ${current[c]}`);
  return added.length || removed.length || retyped.length ? { added, removed, retyped } : undefined;
}

/** Describes a drift in one line. */
export function describeDrift(d: SchemaDrift): string {
  const parts = [
    d.added.length ? `added ${d.added.join(', ')}` : '',
    d.removed.length ? `removed ${d.removed.join(', ')}` : '',
    d.retyped.length ? `retyped ${d.retyped.join(', ')}` : '',
  ];
  return parts.filter(Boolean).join('; ');
}

/** What the rules look at for a finished run. */
export interface RunFacts {
  rowsRead: number;
  previousRowsRead?: number;
  drift?: SchemaDrift;
  destinations: Array<{ destination: string; ok: number; rejected: number; retryable: number; onTime?: boolean; latencyMinutes: number }>;
}

/** Thresholds, from the spec's `alerts`. */
export interface AlertRules {
  on: readonly AlertKind[];
  /** Fraction of sent rows rejected above which `rejection-rate` fires (default 0.05). */
  rejectionRate: number;
  /** Relative change of rows read versus the previous run above which `volume-anomaly` fires (default 0.5). */
  volumeChange: number;
}

/** The alerts a finished run raises. */
export function alertsForRun(f: RunFacts, rules: AlertRules): Alert[] {
  const out: Alert[] = [];
  const on = new Set(rules.on);
  for (const d of f.destinations) {
    const sent = d.ok + d.rejected + d.retryable;
    const rate = sent > 0 ? d.rejected / sent : 0;
    if (on.has('rejection-rate') && sent > 0 && rate > rules.rejectionRate) {
      out.push({ kind: 'rejection-rate', message: `rejection rate ${(rate * 100).toFixed(1)}% on ${d.destination} (${d.rejected} of ${sent} rows; threshold ${(rules.rejectionRate * 100).toFixed(1)}%)` });
    }
    if (on.has('sla-breach') && d.onTime === false) {
      out.push({ kind: 'sla-breach', message: `${d.destination} was ${d.latencyMinutes.toFixed(1)} min behind the warehouse, past the freshness SLA` });
    }
  }
  if (on.has('volume-anomaly') && f.previousRowsRead !== undefined && f.previousRowsRead > 0) {
    const change = (f.rowsRead - f.previousRowsRead) / f.previousRowsRead;
    if (Math.abs(change) > rules.volumeChange) {
      out.push({ kind: 'volume-anomaly', message: `the model has ${f.rowsRead} rows, ${change > 0 ? '+' : ''}${(change * 100).toFixed(0)}% since the last run (${f.previousRowsRead})` });
    }
  }
  if (on.has('schema-drift') && f.drift) out.push({ kind: 'schema-drift', message: `the model's columns changed: ${describeDrift(f.drift)}` });
  return out;
}
