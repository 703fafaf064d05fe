import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted at every depth, so two equal payloads always serialise
 * (and so hash) the same whatever order their keys were built in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(isFlatAndSorted(value) ? value : sortKeys(value));
}

/**
 * The hot path: mapped rows are flat objects whose keys the mapper already emits sorted, so
 * they serialise as they are, with no copy.
 */
function isFlatAndSorted(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  let prev = '';
  for (const k in value) {
    if (k < prev) return false;
    const v = (value as Record<string, unknown>)[k];
    if (v !== null && typeof v === 'object') return false;
    prev = k;
  }
  return true;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/**
 * The change-detection hash of a row's mapped fields: MD5 (128 bits, hex) of the canonical
 * JSON. The state store computes it with the engine's own `md5()` (DuckDB and PostgreSQL agree
 * on it), so hashing runs vectorised inside the database; this is the same function in JS.
 * It detects change, it does not authenticate: 128 bits keep accidental collisions negligible.
 */
export function rowHash(fields: Record<string, unknown>): string {
  return createHash('md5').update(canonicalJson(fields)).digest('hex');
}
