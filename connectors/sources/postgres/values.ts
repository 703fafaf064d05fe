/**
 * Per-client `pg` type parsers so PostgreSQL rows come back as plain JSON values, following
 * the same rules as every SQL source (`../json-values.ts`). The session runs with
 * `TimeZone=UTC`, `DateStyle=ISO` and `IntervalStyle=iso_8601`, which these parsers expect.
 */
import pg from 'pg';
import type { CustomTypesConfig } from 'pg';
import { decimalTextToJson, integerTextToJson } from '../json-values';

/** Statements that put the session in the text formats the parsers below read. */
export const SESSION_SETUP = "SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'";

/** PostgreSQL type OIDs this module parses (stable across versions: they are built in). */
export const Oid = {
  int8: 20,
  float4: 700,
  float8: 701,
  numeric: 1700,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  bytea: 17,
  int8Array: 1016,
  float4Array: 1021,
  float8Array: 1022,
  numericArray: 1231,
  dateArray: 1182,
  timestampArray: 1115,
  timestamptzArray: 1185,
  intervalArray: 1187,
  byteaArray: 1001,
} as const;

const TIMESTAMP_TEXT = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:\+00(?::?00)?)?$/;

/**
 * `2024-01-02 03:04:05.12` (or `…+00`) as `2024-01-02T03:04:05.120000Z`. Anything else
 * (`infinity`, BC dates) comes back as PostgreSQL wrote it.
 */
export function isoFromPgTimestamp(text: string): string {
  const m = TIMESTAMP_TEXT.exec(text);
  if (!m) return text;
  const [, y, mo, d, h, mi, s, frac = ''] = m;
  const year = y.length > 4 ? `+${y.padStart(6, '0')}` : y;
  return `${year}-${mo}-${d}T${h}:${mi}:${s}.${frac.padEnd(6, '0')}Z`;
}

/** `float8` text as a number, keeping `NaN` and `Infinity` as strings. */
function floatText(text: string): number | string {
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

/** bytea's hex text (`\x4142`) as base64. */
function byteaText(text: string): string {
  return text.startsWith('\\x') ? Buffer.from(text.slice(2), 'hex').toString('base64') : Buffer.from(text, 'latin1').toString('base64');
}

const identity = (text: string) => text;

/**
 * pg-types' array parser. Its typings declare a function, but the runtime export is
 * `{ create(text, transform) }` (pg-types 2.x), so it is typed here as it is.
 */
const arrayParser = pg.types.arrayParser as unknown as {
  create(text: string, transform: (entry: string) => unknown): { parse(): unknown[] };
};

const scalars: Record<number, (text: string) => unknown> = {
  [Oid.int8]: integerTextToJson,
  [Oid.float4]: floatText,
  [Oid.float8]: floatText,
  [Oid.numeric]: decimalTextToJson,
  [Oid.date]: identity,
  [Oid.timestamp]: isoFromPgTimestamp,
  [Oid.timestamptz]: isoFromPgTimestamp,
  [Oid.interval]: identity,
  [Oid.bytea]: byteaText,
};

const arrays: Record<number, (text: string) => unknown> = {
  [Oid.int8Array]: scalars[Oid.int8],
  [Oid.float4Array]: floatText,
  [Oid.float8Array]: floatText,
  [Oid.numericArray]: decimalTextToJson,
  [Oid.dateArray]: identity,
  [Oid.timestampArray]: isoFromPgTimestamp,
  [Oid.timestamptzArray]: isoFromPgTimestamp,
  [Oid.intervalArray]: identity,
  [Oid.byteaArray]: byteaText,
};

/**
 * Type parsers for one client. Per client, not `pg.types.setTypeParser`, which would change
 * every other `pg` user in the worker (the state store, a Postgres destination).
 */
export const jsonTypes: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format !== 'binary') {
      const scalar = scalars[oid];
      if (scalar) return scalar;
      const element = arrays[oid];
      if (element) return (text: string) => arrayParser.create(text, element).parse();
    }
    return pg.types.getTypeParser(oid, format);
  }) as CustomTypesConfig['getTypeParser'],
};

/** Is this OID a date or time-of-day-with-date type (watermarks compare them as instants)? */
export function isTimestampOid(oid: number): boolean {
  return oid === Oid.timestamp || oid === Oid.timestamptz || oid === Oid.date;
}

/** Numeric OIDs: int2, int4, int8, oid, float4, float8, numeric. */
export function isNumericOid(oid: number): boolean {
  return [21, 23, 20, 26, Oid.float4, Oid.float8, Oid.numeric].includes(oid);
}
