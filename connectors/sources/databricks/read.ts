/**
 * The SQL a read sends (Databricks SQL: backtick identifiers) and the stream of row batches,
 * walking the result chunk by chunk, so one chunk and one batch are held at a time.
 */
import { configError } from '../../../domain/errors';
import type { Model } from '../../../domain/spec/schema';
import type { ColumnInfo, ReadRequest, Row } from '../../types';
import { DEFAULT_BATCH_SIZE, rebatch } from '../rebatch';
import { splitQualifiedName } from '../sql-model';
import type { ManifestColumn, StatementClient } from './client';
import { rowsOf } from './values';

/** A backtick-quoted identifier. */
export const quoteName = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/** The model as a SELECT (a table by its quoted name, SQL as a subquery) and its name for messages. */
export function wrapModel(model: Model): { sql: string; object: string } {
  if ('table' in model) return { sql: `SELECT * FROM ${splitQualifiedName(model.table).map(quoteName).join('.')}`, object: `table ${JSON.stringify(model.table)}` };
  const body = model.sql.trim().replace(/[;\s]+$/, '');
  return { sql: `SELECT * FROM (\n${body}\n) AS ebb_model`, object: 'model (sql)' };
}

/** The model's columns (a LIMIT 0 query: planned, no rows read). */
export async function modelColumns(client: StatementClient, model: Model): Promise<ManifestColumn[]> {
  const r = await client.execute(`SELECT * FROM (${wrapModel(model).sql}) AS ebb_probe LIMIT 0`, 'INLINE');
  await r.cancel();
  return r.columns;
}

/** Columns as ebb reports them. */
export function columnInfo(columns: readonly ManifestColumn[]): ColumnInfo[] {
  return columns.map((c) => ({ name: c.name, type: (c.type_text ?? c.type_name).toUpperCase() }));
}

/** The watermark bound as a literal for the column's type (Databricks parameters need typed markers; literals are validated here). */
export function sinceLiteral(type: string, value: number | string, column: string): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw configError(`watermark for ${column} is not a finite number`, { path: 'changeDetection.column' });
    return String(value);
  }
  if (/^TIMESTAMP/.test(type)) {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw configError(`watermark for ${column} is not an ISO-8601 timestamp`, { path: 'changeDetection.column' });
    const frac = /\.(\d+)/.exec(value)?.[1]?.padEnd(6, '0').slice(0, 6) ?? '000000';
    return `CAST('${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.${frac}' AS TIMESTAMP)`;
  }
  return `'${value.replace(/'/g, "''")}'`;
}

/** Streams the model in batches from one statement (one snapshot). */
export async function* readBatches(client: StatementClient, request: ReadRequest, source: string): AsyncGenerator<Row[]> {
  const wrapped = wrapModel(request.model);
  const select = request.columns?.length ? request.columns.map(quoteName).join(', ') : '*';
  let sql = select === '*' ? wrapped.sql : `SELECT ${select} FROM (${wrapped.sql}) AS ebb_cols`;
  if (request.since) {
    const { column, value } = request.since;
    const info = (await modelColumns(client, request.model)).find((c) => c.name === column);
    if (!info) throw configError(`${source}: ${wrapped.object} has no watermark column ${JSON.stringify(column)}`, { path: 'changeDetection.column' });
    sql = `SELECT ${select} FROM (${wrapped.sql}) AS ebb_since WHERE ${quoteName(column)} >= ${sinceLiteral(info.type_name, value, column)}`;
  }
  yield* streamSql(client, sql, request.batchSize ?? DEFAULT_BATCH_SIZE);
}

/** Runs one statement and streams its result in batches, chunk by chunk through external links. */
export async function* streamSql(client: StatementClient, sql: string, batchSize: number): AsyncGenerator<Row[]> {
  const result = await client.execute(sql, 'EXTERNAL_LINKS');
  let finished = false;
  try {
    yield* rebatch(chunks(result.first, result.chunk, result.columns), batchSize);
    finished = true;
  } finally {
    // A consumer that stopped early: the warehouse stops producing the result.
    if (!finished) await result.cancel();
  }
}

async function* chunks(first: { rows: (string | null)[][]; nextChunkIndex?: number }, next: (i: number) => Promise<{ rows: (string | null)[][]; nextChunkIndex?: number }>, columns: readonly ManifestColumn[]): AsyncGenerator<Row[]> {
  let chunk = first;
  for (;;) {
    if (chunk.rows.length) yield rowsOf(chunk.rows, columns);
    if (chunk.nextChunkIndex === undefined) return;
    chunk = await next(chunk.nextChunkIndex);
  }
}
