/**
 * snowflake-sdk values as the JSON values every ebb source emits (connectors/sources/json-values.ts).
 * Numbers are fetched as strings, so NUMBER(38,0) keeps every digit; timestamps come as the
 * driver's SfDate, whose epoch seconds and nanoseconds give the exact instant.
 */
import type { Row } from '../../types';
import { decimalTextToJson, floatToJson, integerTextToJson, isoFromEpochDays, isoFromEpochMicros } from '../json-values';

/** A result column: name, Snowflake type and scale. */
export interface SnowflakeColumn {
  name: string;
  type: string;
  precision: number;
  scale: number;
}

interface SfDate {
  getEpochSeconds(): number;
  getNanoSeconds(): number;
}

/** One value of a column. */
export function fromSnowflake(v: unknown, c: SnowflakeColumn): unknown {
  if (v === null || v === undefined) return null;
  switch (c.type) {
    case 'fixed':
      return c.scale === 0 ? integerTextToJson(String(v)) : decimalTextToJson(String(v));
    case 'real':
      return floatToJson(Number(v));
    case 'date':
      return isoFromEpochDays(Math.floor((v as SfDate).getEpochSeconds() / 86_400));
    case 'timestamp_ntz':
    case 'timestamp_ltz':
    case 'timestamp_tz': {
      const d = v as SfDate;
      // Six fractional digits, like every ebb source (nanoseconds beyond are dropped).
      return isoFromEpochMicros(BigInt(Math.floor(d.getEpochSeconds())) * 1_000_000n + BigInt(Math.floor(d.getNanoSeconds() / 1000)));
    }
    default:
      return v;
  }
}

/** A driver row (an object by column name) as an ebb row. */
export function rowOf(raw: Record<string, unknown>, columns: readonly SnowflakeColumn[]): Row {
  const row: Row = {};
  for (const c of columns) row[c.name] = fromSnowflake(raw[c.name], c);
  return row;
}
