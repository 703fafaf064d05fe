import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted at every depth, so two equal payloads always serialise
 * (and so hash) the same whatever order their keys were built in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
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
 * The change-detection hash of a row's mapped fields: 128 bits of SHA-256, base64url.
 * Collisions would hide a change, so 128 bits (not a 32-bit checksum) even for billions of rows.
 * Takes the canonical JSON so callers that also store the payload serialise only once.
 */
export function hashCanonical(json: string): string {
  return createHash('sha256').update(json).digest('base64url').slice(0, 22);
}

/** Hash of a payload object. */
export function rowHash(fields: Record<string, unknown>): string {
  return hashCanonical(canonicalJson(fields));
}
