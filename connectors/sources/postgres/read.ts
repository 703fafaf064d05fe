/**
 * Reading a model from PostgreSQL: a REPEATABLE READ READ ONLY transaction (one snapshot)
 * with a server-side cursor fetched `fetchSize` rows at a time.
 */
import type pg from 'pg';
import { configError } from '../../../domain/errors';
import type { Model } from '../../../domain/spec/schema';
import type { ColumnInfo, ReadRequest, Row } from '../../types';
import { DEFAULT_BATCH_SIZE, rebatch } from '../rebatch';
import { assertDistinctColumns, limitZero, quoteIdent, projection, wrapModel } from '../sql-model';
import { isNumericOid, isTimestampOid, Oid } from './values';

/** The model's result fields (name and type OID), from planning it with LIMIT 0. */
async function probeFields(client: pg.Client, model: Model): Promise<pg.FieldDef[]> {
  return (await client.query(limitZero(wrapModel(model).sql))).fields;
}

/** The model's columns with PostgreSQL's type names (`integer`, `timestamp without time zone`). */
export async function describeModel(client: pg.Client, model: Model): Promise<ColumnInfo[]> {
  const fields = await probeFields(client, model);
  if (fields.length === 0) return [];
  const types = await client.query<{ t: string }>(
    'SELECT format_type(f.oid, f.mod) AS t FROM unnest($1::oid[], $2::int[]) WITH ORDINALITY AS f(oid, mod, n) ORDER BY f.n',
    [fields.map((f) => f.dataTypeID), fields.map((f) => f.dataTypeModifier)],
  );
  return fields.map((f, i) => ({ name: f.name, type: types.rows[i].t }));
}

/**
 * The right-hand side of `column >= …`. Timestamps and dates compare as instants: the ISO
 * value is read as timestamptz (honouring its offset), then as UTC wall time for columns
 * without a zone, since the source emits those as UTC. Numbers compare as numeric. Other
 * types leave the parameter untyped, so PostgreSQL reads it as the column's type.
 */
export function watermarkBound(oid: number): string {
  if (oid === Oid.timestamptz) return '$1::timestamptz';
  if (isTimestampOid(oid)) return "($1::timestamptz AT TIME ZONE 'UTC')";
  if (isNumericOid(oid)) return '$1::numeric';
  return '$1';
}

async function readStatement(client: pg.Client, request: ReadRequest, source: string): Promise<{ sql: string; params: unknown[] }> {
  const wrapped = wrapModel(request.model);
  const select = projection(request.columns);
  if (!request.since) return { sql: select === '*' ? wrapped.sql : `SELECT ${select} FROM (${wrapped.sql}) AS ebb_cols`, params: [] };
  const { column, value } = request.since;
  const field = (await probeFields(client, request.model)).find((f) => f.name === column);
  if (!field) {
    throw configError(`${source}: ${wrapped.object} has no watermark column ${JSON.stringify(column)}`, { path: 'changeDetection.column' });
  }
  const sql = `SELECT ${select} FROM (${wrapped.sql}) AS ebb_since WHERE ${quoteIdent(column)} >= ${watermarkBound(field.dataTypeID)}`;
  return { sql, params: [String(value)] };
}

/**
 * Streams the model inside the caller's open transaction: DECLARE a cursor, FETCH until
 * empty. Holds one fetch and one batch at a time.
 */
export async function* readInTransaction(
  client: pg.Client,
  request: ReadRequest,
  options: { fetchSize: number; source: string },
): AsyncGenerator<Row[]> {
  const { sql, params } = await readStatement(client, request, options.source);
  await client.query(`DECLARE ebb_cursor NO SCROLL CURSOR FOR ${sql}`, params);
  const object = wrapModel(request.model).object;
  async function* fetches(): AsyncGenerator<Row[]> {
    for (let first = true; ; first = false) {
      const result = await client.query<Row>(`FETCH FORWARD ${options.fetchSize} FROM ebb_cursor`);
      if (first) assertDistinctColumns(result.fields.map((f) => f.name), object, options.source);
      if (result.rows.length === 0) return;
      yield result.rows;
    }
  }
  yield* rebatch(fetches(), request.batchSize ?? DEFAULT_BATCH_SIZE);
}
