/**
 * Row values as Salesforce takes them. Collections get JSON (dates as ISO strings, a `date`
 * field's as YYYY-MM-DD, empty strings as null); Bulk API 2.0 gets CSV text, where an empty cell
 * means "leave unchanged", `#N/A` means null (jsforce writes it for null) and booleans must be
 * spelled out (csv-stringify would write true as "1" and false as an empty, ignored cell).
 */
import type { SObjectField } from './describe-check';

/** One value for the JSON of sObject Collections. */
export function toJsonValue(v: unknown, field: SObjectField | undefined): unknown {
  if (v === undefined || v === '') return null;
  if (v instanceof Date) return field?.type === 'date' ? v.toISOString().slice(0, 10) : v.toISOString();
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  return v;
}

/** One value for a Bulk API 2.0 CSV cell (null becomes `#N/A` in jsforce). */
export function toCsvValue(v: unknown, field: SObjectField | undefined): string | null {
  const json = toJsonValue(v, field);
  if (json === null) return null;
  return typeof json === 'string' ? json : typeof json === 'object' ? JSON.stringify(json) : String(json);
}

/** A record's fields for Collections. */
export function toSObject(fields: Record<string, unknown>, describe: ReadonlyMap<string, SObjectField>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = toJsonValue(v, describe.get(k));
  return out;
}
