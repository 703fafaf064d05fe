/**
 * DuckDB values to plain JSON values (see `../json-values.ts` for the shared rules). Built on
 * the library's per-type converter map so nested LIST/STRUCT/MAP values recurse through
 * these same rules.
 */
import {
  arrayFromArrayValue,
  arrayFromListValue,
  booleanFromValue,
  createDuckDBValueConverter,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  fromVariantValue,
  jsonObjectFromIntervalValue,
  nullConverter,
  numberFromValue,
  objectArrayFromMapValue,
  objectFromStructValue,
  objectFromUnionValue,
  stringFromValue,
  unsupportedConverter,
} from '@duckdb/node-api';
import type { DuckDBDataChunk, DuckDBValue, DuckDBValueConverter } from '@duckdb/node-api';
import type { Row } from '../../types';
import {
  bytesToJson,
  decimalTextToJson,
  floatToJson,
  integerToJson,
  isoFromEpochDays,
  isoFromEpochMicros,
  isoFromEpochNanos,
} from '../json-values';

/** A non-null JSON value; converters return it or `null`, so every converted cell is JSON. */
export type JsonValue = boolean | number | string | (JsonValue | null)[] | { [key: string]: JsonValue | null };

type Converter = DuckDBValueConverter<JsonValue>;

const wrongValue = (v: DuckDBValue, expected: string) => new Error(`expected a ${expected}, got ${typeof v}`);

const integer: Converter = (v) => {
  if (typeof v === 'bigint') return integerToJson(v);
  if (typeof v === 'number') return v;
  throw wrongValue(v, 'integer');
};

const float: Converter = (v) => floatToJson(Number(v));

const decimal: Converter = (v) => {
  if (v instanceof DuckDBDecimalValue) return decimalTextToJson(v.toString());
  throw wrongValue(v, 'DECIMAL');
};

const timestamp: Converter = (v) => {
  if (v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampTZValue) return isoFromEpochMicros(v.micros);
  if (v instanceof DuckDBTimestampSecondsValue) return isoFromEpochMicros(v.seconds * 1_000_000n);
  if (v instanceof DuckDBTimestampMillisecondsValue) return isoFromEpochMicros(v.millis * 1000n);
  if (v instanceof DuckDBTimestampNanosecondsValue) return isoFromEpochNanos(v.nanos);
  throw wrongValue(v, 'TIMESTAMP');
};

const date: Converter = (v) => {
  if (v instanceof DuckDBDateValue) return isoFromEpochDays(v.days);
  throw wrongValue(v, 'DATE');
};

const blob: Converter = (v) => {
  if (v instanceof DuckDBBlobValue) return bytesToJson(v.bytes);
  throw wrongValue(v, 'BLOB');
};

/** The library's JSON converter, except where its choices would lose or hide information. */
const byTypeId: Record<DuckDBTypeId, Converter> = {
  [DuckDBTypeId.INVALID]: unsupportedConverter,
  [DuckDBTypeId.BOOLEAN]: booleanFromValue,
  [DuckDBTypeId.TINYINT]: numberFromValue,
  [DuckDBTypeId.SMALLINT]: numberFromValue,
  [DuckDBTypeId.INTEGER]: numberFromValue,
  [DuckDBTypeId.BIGINT]: integer,
  [DuckDBTypeId.UTINYINT]: numberFromValue,
  [DuckDBTypeId.USMALLINT]: numberFromValue,
  [DuckDBTypeId.UINTEGER]: numberFromValue,
  [DuckDBTypeId.UBIGINT]: integer,
  [DuckDBTypeId.HUGEINT]: integer,
  [DuckDBTypeId.UHUGEINT]: integer,
  [DuckDBTypeId.BIGNUM]: stringFromValue,
  [DuckDBTypeId.FLOAT]: float,
  [DuckDBTypeId.DOUBLE]: float,
  [DuckDBTypeId.DECIMAL]: decimal,
  [DuckDBTypeId.TIMESTAMP]: timestamp,
  [DuckDBTypeId.TIMESTAMP_S]: timestamp,
  [DuckDBTypeId.TIMESTAMP_MS]: timestamp,
  [DuckDBTypeId.TIMESTAMP_NS]: timestamp,
  [DuckDBTypeId.TIMESTAMP_TZ]: timestamp,
  [DuckDBTypeId.DATE]: date,
  [DuckDBTypeId.TIME]: stringFromValue,
  [DuckDBTypeId.TIME_NS]: stringFromValue,
  [DuckDBTypeId.TIME_TZ]: stringFromValue,
  [DuckDBTypeId.INTERVAL]: jsonObjectFromIntervalValue,
  [DuckDBTypeId.VARCHAR]: stringFromValue,
  [DuckDBTypeId.ENUM]: stringFromValue,
  [DuckDBTypeId.UUID]: stringFromValue,
  [DuckDBTypeId.BIT]: stringFromValue,
  [DuckDBTypeId.GEOMETRY]: stringFromValue,
  [DuckDBTypeId.BLOB]: blob,
  [DuckDBTypeId.LIST]: arrayFromListValue,
  [DuckDBTypeId.ARRAY]: arrayFromArrayValue,
  [DuckDBTypeId.STRUCT]: objectFromStructValue,
  [DuckDBTypeId.MAP]: objectArrayFromMapValue,
  [DuckDBTypeId.UNION]: objectFromUnionValue,
  [DuckDBTypeId.VARIANT]: fromVariantValue,
  [DuckDBTypeId.SQLNULL]: nullConverter,
  [DuckDBTypeId.ANY]: unsupportedConverter,
  [DuckDBTypeId.STRING_LITERAL]: unsupportedConverter,
  [DuckDBTypeId.INTEGER_LITERAL]: unsupportedConverter,
};

/** Converts any DuckDB value (nested ones included) to a JSON value. */
export const toJsonValue: Converter = createDuckDBValueConverter<JsonValue>(byTypeId);

/**
 * One DuckDB chunk (up to 2048 rows) as row objects. Reads column by column, which is how
 * DuckDB stores a chunk, then assembles the rows.
 */
export function rowsFromChunk(chunk: DuckDBDataChunk, names: readonly string[]): Row[] {
  const count = chunk.rowCount;
  const rows: Row[] = new Array(count);
  for (let r = 0; r < count; r++) rows[r] = {};
  for (let c = 0; c < names.length; c++) {
    const values = chunk.convertColumnValues(c, toJsonValue);
    const name = names[c];
    for (let r = 0; r < count; r++) rows[r][name] = values[r];
  }
  return rows;
}
