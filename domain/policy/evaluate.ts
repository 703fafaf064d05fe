import { createHash } from 'node:crypto';
import { canonicalJson } from '../row-hash';
import type { ConsentRequirement, Policy, Purpose } from './schema';

/** The European Economic Area: the EU member states plus Iceland, Liechtenstein and Norway. */
export const EEA: ReadonlySet<string> = new Set(['AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE', 'IS', 'LI', 'NO']);
const EU: ReadonlySet<string> = new Set([...EEA].filter((c) => !['IS', 'LI', 'NO'].includes(c)));

const GRANTED = new Set(['true', 't', 'yes', 'y', '1', 'granted', 'opt_in', 'opt-in', 'optin', 'consent_granted']);
const DENIED = new Set(['false', 'f', 'no', 'n', '0', 'denied', 'opt_out', 'opt-out', 'optout', 'consent_denied']);

/** What a consent value says: granted, denied, or nothing usable. */
export function consentOf(v: unknown): 'granted' | 'denied' | 'unknown' {
  if (v === true) return 'granted';
  if (v === false) return 'denied';
  if (typeof v === 'number') return v === 1 ? 'granted' : v === 0 ? 'denied' : 'unknown';
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (GRANTED.has(s)) return 'granted';
    if (DENIED.has(s)) return 'denied';
  }
  return 'unknown';
}

/** A destination as the policy matches it. */
export interface PolicyTarget {
  sync: string;
  name: string;
  kind: string;
}

/** Decides, per row, whether a destination may receive it; a reason when it may not. */
export type ConsentCheck = (row: Record<string, unknown>) => string | undefined;

/** The purposes a destination serves under a policy. */
export function purposesOf(policy: Policy, t: PolicyTarget): Purpose[] {
  const out = new Set<Purpose>();
  for (const d of policy.destinations) {
    const m = d.match;
    if ((m.sync === undefined || m.sync === t.sync) && (m.name === undefined || m.name === t.name) && (m.kind === undefined || m.kind === t.kind)) d.purposes.forEach((p) => out.add(p));
  }
  return [...out].sort();
}

/** The model columns a policy reads for a destination (so the planner reads them). */
export function policyColumns(policy: Policy, t: PolicyTarget): string[] {
  const ps = purposesOf(policy, t);
  const cols = ps.map((p) => policy.purposes[p]?.consentColumn).filter((c): c is string => c !== undefined);
  if (ps.length && policy.regions) cols.push(policy.regions.column);
  return [...new Set(cols)];
}

/**
 * Compiles the policy for one destination. Reasons are stable strings, counted per run:
 * `consent:<purpose>:denied` and `consent:<purpose>:missing`. Purposes without a consent
 * column, and destinations serving no purpose, never suppress anything.
 */
export function compileConsent(policy: Policy, t: PolicyTarget): ConsentCheck | undefined {
  const checks = purposesOf(policy, t)
    .map((purpose) => ({ purpose, column: policy.purposes[purpose]?.consentColumn }))
    .filter((c): c is { purpose: Purpose; column: string } => c.column !== undefined);
  if (checks.length === 0) return undefined;
  const regions = policy.regions;
  return (row) => {
    const country = regions ? countryOf(row[regions.column]) : undefined;
    for (const { purpose, column } of checks) {
      const need = requirement(policy, purpose, country);
      if (need === 'none') continue;
      const consent = consentOf(row[column]);
      if (consent === 'denied') return `consent:${purpose}:denied`;
      if (need === 'explicit' && consent !== 'granted') return `consent:${purpose}:missing`;
    }
    return undefined;
  };
}

function countryOf(v: unknown): string | null {
  return typeof v === 'string' && /^[A-Za-z]{2}$/.test(v.trim()) ? v.trim().toUpperCase() : null;
}

/** What `purpose` needs in `country`: the first regional rule naming both, else the default. */
function requirement(policy: Policy, purpose: Purpose, country: string | null | undefined): ConsentRequirement {
  const regions = policy.regions;
  if (!regions) return policy.default;
  if (country === null) return regions.unknownRegion;
  for (const rule of regions.rules) {
    if (!rule.purposes.includes(purpose)) continue;
    const inRegion = rule.regions.some((r) => (r === 'EEA' ? EEA.has(country!) : r === 'EU' ? EU.has(country!) : r === country));
    if (inRegion) return rule.require;
  }
  return policy.default;
}

/** A policy's version: a content hash, recorded on every run like the mapping's. */
export function policyVersion(policy: Policy): string {
  return createHash('sha256').update(canonicalJson(policy)).digest('hex').slice(0, 12);
}
