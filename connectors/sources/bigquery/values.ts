/**
 * BigQuery values as plain JSON values, by the rules every SQL source follows
 * (`../json-values.ts`), from the REST API's raw rows (`{ f: [{ v }] }`, every scalar a
 * string) and the result schema. Raw rows are converted here rather than by the client's
 * parser, which turns INT64 into lossy numbers (or wrapper objects) and TIMESTAMP into
 * objects of its own.
 */
import type { ColumnInfo, Row } from '../../types';
import { decimalTextToJson, floatToJson, integerTextToJson, isoFromEpochMicros } from '../json-values';

/** One field of a BigQuery table or result schema (`TableFieldSchema`). */
export interface SchemaField {
  name: string;
  type: string;
  mode?: string;
  fields?: SchemaField[];
}

/** A raw cell: `{ v }` with a string, null, a nested row `{ f }` or an array of cells. */
interface Cell {
  v: unknown;
}

type Convert = (v: unknown) => unknown;

/** The REST API's legacy type names as GoogleSQL names (`INTEGER` is `INT64`). */
const STANDARD_NAMES: Record<string, string> = { INTEGER: 'INT64', FLOAT: 'FLOAT64', BOOLEAN: 'BOOL', RECORD: 'STRUCT' };

/** A field's GoogleSQL type: `INT64`, `ARRAY<STRING>`, `STRUCT<a INT64, b STRING>`. */
export function standardType(field: SchemaField): string {
  const base = STANDARD_NAMES[field.type] ?? field.type;
  const inner = base === 'STRUCT' ? `STRUCT<${(field.fields ?? []).map((f) => `${f.name} ${standardType(f)}`).join(', ')}>` : base;
  return field.mode === 'REPEATED' ? `ARRAY<${inner}>` : inner;
}

/** The result schema as {@link ColumnInfo}s. */
export function schemaColumns(fields: readonly SchemaField[]): ColumnInfo[] {
  return fields.map((f) => ({ name: f.name, type: standardType(f) }));
}

/** FLOAT64 text: BigQuery writes `NaN`, `Infinity`, `-Infinity`; the emulator writes Go's `+Inf`. */
export function floatText(text: string): number | string {
  const special = /^([+-]?)inf(?:inity)?$/i.exec(text);
  if (special) return special[1] === '-' ? '-Infinity' : 'Infinity';
  return floatToJson(Number(text));
}

/**
 * TIMESTAMP as the fixed-width UTC ISO form. With `formatOptions.useInt64Timestamp` (what the
 * client asks for) the API sends microseconds since the epoch; older servers send float
 * seconds (`1.7040672E9`), kept here to the microsecond they can carry.
 */
export function timestampText(text: string): string {
  if (/^-?\d+$/.test(text)) return isoFromEpochMicros(BigInt(text));
  return isoFromEpochMicros(BigInt(Math.round(Number(text) * 1e6)));
}

/** DATETIME (a wall time without zone) as UTC, like a PostgreSQL `timestamp`: six fractional digits. */
export function datetimeText(text: string): string {
  const m = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?$/.exec(text);
  return m ? `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(6, '0')}Z` : text;
}

function jsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const SCALARS: Record<string, (text: string) => unknown> = {
  INTEGER: integerTextToJson,
  INT64: integerTextToJson,
  FLOAT: floatText,
  FLOAT64: floatText,
  NUMERIC: decimalTextToJson,
  BIGNUMERIC: decimalTextToJson,
  BOOLEAN: (t) => t === 'true',
  BOOL: (t) => t === 'true',
  TIMESTAMP: timestampText,
  DATETIME: datetimeText,
  JSON: jsonText,
  // STRING, BYTES (already base64), DATE, TIME, GEOGRAPHY (WKT), INTERVAL: the text as sent.
};

function fieldConverter(field: SchemaField): Convert {
  let one: Convert;
  if (field.type === 'RECORD' || field.type === 'STRUCT') {
    const toRow = rowConverter(field.fields ?? []);
    one = (v) => (v === null || v === undefined ? null : toRow(v as { f: Cell[] }));
  } else {
    const scalar = SCALARS[field.type];
    one = scalar ? (v) => (v === null || v === undefined ? null : scalar(String(v))) : (v) => (v === undefined ? null : v);
  }
  if (field.mode !== 'REPEATED') return one;
  return (v) => (Array.isArray(v) ? (v as Cell[]).map((cell) => one(cell.v)) : []);
}

/**
 * A converter from raw rows of this schema to {@link Row}s, built once per read so each
 * cell costs one function call.
 */
export function rowConverter(fields: readonly SchemaField[]): (raw: { f: Cell[] }) => Row {
  const converters = fields.map(fieldConverter);
  const names = fields.map((f) => f.name);
  return (raw) => {
    const row: Row = {};
    const cells = raw.f;
    for (let i = 0; i < names.length; i++) row[names[i]] = converters[i](cells[i]?.v ?? null);
    return row;
  };
}
