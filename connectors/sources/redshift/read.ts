/**
 * Reading a model from Redshift: one transaction (one snapshot: Redshift runs every
 * transaction serializable), a named cursor (`DECLARE … CURSOR FOR`) and `FETCH FORWARD n`
 * until it runs dry. Only what Redshift's cursors take: no NO SCROLL / WITH HOLD, no
 * extended-protocol portals (pg-cursor), no bind parameters in DECLARE (the watermark bound is
 * validated and written as a literal), never a single-row FETCH.
 */
import type pg from 'pg';
import { configError } from '../../../domain/errors';
import type { Model } from '../../../domain/spec/schema';
import type { ColumnInfo, ReadRequest, Row } from '../../types';
import { DEFAULT_BATCH_SIZE, rebatch } from '../rebatch';
import { assertDistinctColumns, limitZero, projection, quoteIdent, wrapModel } from '../sql-model';
import { isNumericOid, isTimestampOid, Oid } from '../postgres/values';

/** The model's result fields (name and type OID), from planning it with LIMIT 0. */
async function probeFields(client: pg.Client, model: Model): Promise<pg.FieldDef[]> {
  return (await client.query(limitZero(wrapModel(model).sql))).fields;
}

/**
 * The model's columns with the engine's type names (`integer`, `character varying(256)`).
 * One constant `format_type` select: it runs on the leader node, and Redshift has no
 * `unnest` to pass the OIDs as arrays.
 */
export async function describeModel(client: pg.Client, model: Model): Promise<ColumnInfo[]> {
  const fields = await probeFields(client, model);
  if (fields.length === 0) return [];
  const list = fields.map((f, i) => `format_type(${Number(f.dataTypeID)}, ${Number(f.dataTypeModifier)}) AS t${i}`).join(', ');
  const [types] = (await client.query<Record<string, string>>(`SELECT ${list}`)).rows;
  return fields.map((f, i) => ({ name: f.name, type: types[`t${i}`] }));
}

const ISO_INSTANT = /^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?)?(?:Z|[+-]\d\d(?::?\d\d)?)?$/;
const DECIMAL = /^-?\d+(?:\.\d+)?$/;

/**
 * The right-hand side of `column >= …` as a SQL literal. Timestamps and dates compare as
 * instants (the ISO value read as timestamptz, then as UTC wall time for columns without a
 * zone, which the source emits as UTC); numbers as exact decimals. Values are checked
 * against a strict shape before they are written into SQL.
 */
export function watermarkLiteral(oid: number, value: number | string, column: string): string {
  const text = String(value);
  const refuse = (what: string) =>
    configError(`changeDetection: the watermark for column ${JSON.stringify(column)} is not ${what}`, { path: 'changeDetection.column' });
  if (isTimestampOid(oid)) {
    if (!ISO_INSTANT.test(text)) throw refuse('an ISO-8601 timestamp');
    return oid === Oid.timestamptz ? `'${text}'::timestamptz` : `('${text}'::timestamptz AT TIME ZONE 'UTC')`;
  }
  if (isNumericOid(oid)) {
    if (typeof value === 'number' ? !Number.isFinite(value) : !DECIMAL.test(text)) throw refuse('a finite number');
    // A bare literal: Redshift's NUMERIC without precision is (18,0), which would round it.
    return typeof value === 'number' ? JSON.stringify(value) : text;
  }
  // Redshift reads a backslash in a literal as an escape; no watermark needs one.
  if (text.includes('\\')) throw refuse('free of backslashes');
  return `'${text.replaceAll("'", "''")}'`;
}

async function readStatement(client: pg.Client, request: ReadRequest, source: string): Promise<string> {
  const wrapped = wrapModel(request.model);
  const select = projection(request.columns);
  if (!request.since) return select === '*' ? wrapped.sql : `SELECT ${select} FROM (${wrapped.sql}) AS ebb_cols`;
  const { column, value } = request.since;
  const field = (await probeFields(client, request.model)).find((f) => f.name === column);
  if (!field) {
    throw configError(`${source}: ${wrapped.object} has no watermark column ${JSON.stringify(column)}`, { path: 'changeDetection.column' });
  }
  return `SELECT ${select} FROM (${wrapped.sql}) AS ebb_since WHERE ${quoteIdent(column)} >= ${watermarkLiteral(field.dataTypeID, value, column)}`;
}

/**
 * Streams the model inside the caller's open transaction. Redshift materializes a cursor's
 * result on the leader node at the first FETCH; ebb's memory holds one fetch and one batch.
 */
export async function* readInTransaction(
  client: pg.Client,
  request: ReadRequest,
  options: { fetchSize: number; source: string },
): AsyncGenerator<Row[]> {
  const sql = await readStatement(client, request, options.source);
  await client.query(`DECLARE ebb_cursor CURSOR FOR ${sql}`);
  const object = wrapModel(request.model).object;
  const fetchSize = Math.max(2, options.fetchSize);
  async function* fetches(): AsyncGenerator<Row[]> {
    for (let first = true; ; first = false) {
      const result = await client.query<Row>(`FETCH FORWARD ${fetchSize} FROM ebb_cursor`);
      if (first) assertDistinctColumns(result.fields.map((f) => f.name), object, options.source);
      if (result.rows.length === 0) return;
      yield result.rows;
    }
  }
  yield* rebatch(fetches(), request.batchSize ?? DEFAULT_BATCH_SIZE);
}
