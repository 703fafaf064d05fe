/**
 * Statement Execution API values (JSON_ARRAY: every value a string, or null) as the JSON values
 * every ebb source emits (connectors/sources/json-values.ts), by the manifest's `type_name`.
 */
import type { Row } from '../../types';
import { decimalTextToJson, floatToJson, integerTextToJson } from '../json-values';
import type { ManifestColumn } from './client';

/** One value of a column typed `type`. */
export function fromDatabricks(text: string | null, type: string): unknown {
  if (text === null) return null;
  switch (type) {
    case 'BYTE':
    case 'SHORT':
    case 'INT':
    case 'LONG':
    case 'BIGINT':
      return integerTextToJson(text);
    case 'DECIMAL':
      return decimalTextToJson(text);
    case 'FLOAT':
    case 'DOUBLE':
      return floatToJson(Number(text));
    case 'BOOLEAN':
      return text === 'true';
    case 'TIMESTAMP':
    case 'TIMESTAMP_NTZ':
      return isoMicros(text);
    default:
      return text;
  }
}

/** `2024-01-01T00:01:00.001Z` (or with a space, or no fraction) as `…:00.001000Z`: six digits, UTC. */
export function isoMicros(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!m) return text;
  const frac = (m[3] ?? '').padEnd(6, '0').slice(0, 6);
  if (!m[4] || m[4] === 'Z' || /^[+-]00:?00$/.test(m[4])) return `${m[1]}T${m[2]}.${frac}Z`;
  const utc = new Date(`${m[1]}T${m[2]}${m[4]}`).toISOString().slice(0, 19);
  return `${utc}.${frac}Z`;
}

/** Rows of a chunk as objects. */
export function rowsOf(rows: readonly (string | null)[][], columns: readonly ManifestColumn[]): Row[] {
  return rows.map((r) => {
    const row: Row = {};
    columns.forEach((c, i) => (row[c.name] = fromDatabricks(r[i] ?? null, c.type_name)));
    return row;
  });
}
