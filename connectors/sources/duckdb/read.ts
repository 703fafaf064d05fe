/**
 * Reading a model from DuckDB: the SQL around the model (watermark filter), the column
 * probe, and the stream of row batches.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { configError } from '../../../domain/errors';
import type { Model } from '../../../domain/spec/schema';
import type { ColumnInfo, ReadRequest, Row } from '../../types';
import { rebatch, DEFAULT_BATCH_SIZE } from '../rebatch';
import { quoteIdent, projection, wrapModel } from '../sql-model';
import { queryRows, streamChunks } from './client';
import { rowsFromChunk } from './values';

/** The model's columns as DuckDB types them (`DESCRIBE` plans the query, reads no rows). */
export async function describeModel(connection: DuckDBConnection, model: Model): Promise<ColumnInfo[]> {
  const rows = await queryRows(connection, `DESCRIBE ${wrapModel(model).sql}`);
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

const NAIVE_TEMPORAL = /^(TIMESTAMP|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS|DATE)$/;
const ZONED_TEMPORAL = /^TIMESTAMP WITH TIME ZONE$/;

/**
 * The right-hand side of `column >= …` for a watermark. ISO strings are parsed as
 * TIMESTAMPTZ so an offset (`+02:00`, `Z`) is honoured, then compared in UTC, because the
 * source emits naive timestamps as UTC. Numbers compare as DOUBLE; other strings are cast
 * to the column's own type.
 */
export function watermarkBound(columnType: string, value: number | string): { sql: string; param: DuckDBValue } {
  if (typeof value === 'number') return { sql: 'CAST($1 AS DOUBLE)', param: String(value) };
  if (ZONED_TEMPORAL.test(columnType)) return { sql: 'CAST($1 AS TIMESTAMPTZ)', param: value };
  if (NAIVE_TEMPORAL.test(columnType)) return { sql: "timezone('UTC', CAST($1 AS TIMESTAMPTZ))", param: value };
  return { sql: `CAST($1 AS ${columnType})`, param: value };
}

/** The statement a read runs, and its parameters. */
export async function readStatement(
  connection: DuckDBConnection,
  request: ReadRequest,
  source: string,
): Promise<{ sql: string; params: DuckDBValue[] }> {
  const wrapped = wrapModel(request.model);
  const select = projection(request.columns);
  if (!request.since) return { sql: select === '*' ? wrapped.sql : `SELECT ${select} FROM (${wrapped.sql}) AS ebb_cols`, params: [] };
  const { column, value } = request.since;
  const info = (await describeModel(connection, request.model)).find((c) => c.name === column);
  if (!info) {
    throw configError(`${source}: ${wrapped.object} has no watermark column ${JSON.stringify(column)}`, { path: 'changeDetection.column' });
  }
  const bound = watermarkBound(info.type, value);
  return { sql: `SELECT ${select} FROM (${wrapped.sql}) AS ebb_since WHERE ${quoteIdent(column)} >= ${bound.sql}`, params: [bound.param] };
}

/**
 * Streams the model as batches of `batchSize` rows from one streaming query (one snapshot).
 * Converts chunk by chunk, so only a batch and one DuckDB chunk are ever held in JS.
 */
export async function* readBatches(connection: DuckDBConnection, request: ReadRequest, source: string): AsyncGenerator<Row[]> {
  const { sql, params } = await readStatement(connection, request, source);
  // No duplicate-name check here (PostgreSQL needs one): DuckDB renames repeated columns
  // (`a`, `a_1`) when the model is wrapped as a subquery, so no value is lost.
  const stream = await streamChunks(connection, sql, params);
  async function* rows(): AsyncGenerator<Row[]> {
    for await (const chunk of stream.chunks) yield rowsFromChunk(chunk, stream.names);
  }
  yield* rebatch(rows(), request.batchSize ?? DEFAULT_BATCH_SIZE);
}
