/**
 * Reading a model from BigQuery: the model (wrapped in GoogleSQL) runs as one query job, and
 * its result is read page by page with getQueryResults. A job's result is one snapshot,
 * stored by BigQuery in a table of its own, so every page of a read comes from the same
 * snapshot however long the read takes, and a page asked for again (a retried request) holds
 * the same rows. Nothing is split across jobs, so no snapshot table of ours is needed.
 */
import type { BigQuery, Job, Query } from '@google-cloud/bigquery';
import { configError } from '../../../domain/errors';
import type { Model } from '../../../domain/spec/schema';
import type { ReadRequest, Row } from '../../types';
import { DEFAULT_BATCH_SIZE, rebatch } from '../rebatch';
import { assertDistinctColumns } from '../sql-model';
import { fetchPage } from './client';
import { rowConverter, type SchemaField } from './values';

/** GoogleSQL quotes identifiers with backticks; a backtick or backslash inside is escaped. */
export function quoteIdent(name: string): string {
  return `\`${name.replace(/[\\`]/g, (c) => `\\${c}`)}\``;
}

/** A model as GoogleSQL plus the words messages use to name it. */
export interface WrappedModel {
  sql: string;
  object: string;
}

/**
 * `{table}` (`dataset.table`, `project.dataset.table`, with or without backticks) becomes
 * `SELECT * FROM \`…\``; `{sql}` becomes a subquery, so the model keeps its meaning whatever
 * is added around it. GoogleSQL reads a whole `project.dataset.table` path inside one pair
 * of backticks, and project ids may hold dashes, so the path is quoted as a whole.
 */
export function wrapModel(model: Model): WrappedModel {
  if ('table' in model) {
    const path = model.table.trim().replace(/^`(.*)`$/, '$1');
    if (path === '' || /[`\\\s]/.test(path)) {
      throw configError(`model.table: ${JSON.stringify(model.table)} is not a BigQuery table path (dataset.table or project.dataset.table)`, { path: 'model.table' });
    }
    return { sql: `SELECT * FROM \`${path}\``, object: `table ${JSON.stringify(model.table)}` };
  }
  // A trailing semicolon would end the statement inside the parentheses; the newline keeps a
  // trailing `-- comment` from swallowing the closing parenthesis.
  const body = model.sql.trim().replace(/[;\s]+$/, '');
  return { sql: `SELECT * FROM (\n${body}\n) AS ebb_model`, object: 'model (sql)' };
}

/** `SELECT … LIMIT 0`: the schema without reading rows. */
export function limitZero(sql: string): string {
  return `SELECT * FROM (${sql}) AS ebb_probe LIMIT 0`;
}

/**
 * The right-hand side of `column >= …` for the column's type, over a STRING parameter
 * `@ebb_since`. Timestamps and dates compare as instants (DATETIME and DATE, which have no
 * zone, as UTC wall time, the way the source emits them); numbers compare exactly, as
 * BIGNUMERIC, so `4990.5` is not rounded.
 */
export function watermarkCondition(column: string, type: string): string {
  const c = quoteIdent(column);
  switch (type) {
    case 'TIMESTAMP':
      return `${c} >= TIMESTAMP(@ebb_since)`;
    case 'DATETIME':
      return `${c} >= DATETIME(TIMESTAMP(@ebb_since), 'UTC')`;
    case 'DATE':
      return `DATETIME(${c}) >= DATETIME(TIMESTAMP(@ebb_since), 'UTC')`;
    case 'INTEGER':
    case 'INT64':
    case 'FLOAT':
    case 'FLOAT64':
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return `${c} >= CAST(@ebb_since AS BIGNUMERIC)`;
    case 'STRING':
      return `${c} >= @ebb_since`;
    default:
      throw configError(`changeDetection.column: a ${type} column cannot be a watermark; use a TIMESTAMP, DATETIME, DATE, number or STRING column`, { path: 'changeDetection.column' });
  }
}

/** How a read runs its job. */
export interface JobRunner {
  bigquery: BigQuery;
  /** Options every job of this source gets (location, default dataset, cost guards, labels). */
  jobOptions: Partial<Query>;
  /** Labels error messages. */
  source: string;
}

/** Starts a query job for `sql` with STRING parameters. */
export async function startJob(runner: JobRunner, sql: string, params?: Record<string, string>): Promise<Job> {
  const query: Query = { ...runner.jobOptions, query: sql, useLegacySql: false };
  if (params) {
    query.params = params;
    query.types = Object.fromEntries(Object.keys(params).map((k) => [k, 'STRING']));
  }
  const [job] = await runner.bigquery.createQueryJob(query);
  return job;
}

/** The schema of a query's result: from a dry run (free), else from running it with LIMIT 0. */
export async function querySchema(runner: JobRunner, sql: string): Promise<SchemaField[]> {
  const [dry] = await runner.bigquery.createQueryJob({ ...runner.jobOptions, query: sql, useLegacySql: false, dryRun: true });
  const fields = (dry.metadata as { statistics?: { query?: { schema?: { fields?: SchemaField[] } } } })?.statistics?.query?.schema?.fields;
  if (fields) return fields;
  // Servers whose dry runs carry no schema (the emulator): one page of an empty result.
  const job = await startJob(runner, limitZero(sql));
  for (;;) {
    const page = await fetchPage(job, { maxResults: 1});
    if (page.jobComplete) return page.schema ?? [];
  }
}

/** The job's SQL for a read request: the model, the requested columns, the watermark. */
async function readStatement(runner: JobRunner, request: ReadRequest): Promise<{ sql: string; params?: Record<string, string> }> {
  const wrapped = wrapModel(request.model);
  const select = request.columns && request.columns.length ? request.columns.map(quoteIdent).join(', ') : '*';
  const base = select === '*' ? wrapped.sql : `SELECT ${select} FROM (${wrapped.sql}) AS ebb_cols`;
  if (!request.since) return { sql: base };
  const { column, value } = request.since;
  const field = (await querySchema(runner, wrapped.sql)).find((f) => f.name === column);
  if (!field) {
    throw configError(`${runner.source}: ${wrapped.object} has no watermark column ${JSON.stringify(column)}`, { path: 'changeDetection.column' });
  }
  const where = watermarkCondition(column, field.mode === 'REPEATED' ? 'ARRAY' : field.type);
  return { sql: `SELECT ${select} FROM (${wrapped.sql}) AS ebb_since WHERE ${where}`, params: { ebb_since: String(value) } };
}

/**
 * Streams the model: one query job, then `pageSize` rows per getQueryResults call, each page
 * converted and re-cut into batches. Holds one page and one batch at a time. A consumer that
 * stops early leaves a finished job behind (its result table expires on its own); a job still
 * running is cancelled.
 */
export async function* readModel(runner: JobRunner, request: ReadRequest, options: { pageSize: number }): AsyncGenerator<Row[]> {
  const { sql, params } = await readStatement(runner, request);
  yield* streamQuery(runner, sql, { params, object: wrapModel(request.model).object, pageSize: options.pageSize, batchSize: request.batchSize ?? DEFAULT_BATCH_SIZE });
}

/** Streams one query job's result (see {@link readModel}). */
export async function* streamQuery(runner: JobRunner, sql: string, o: { params?: Record<string, string>; object: string; pageSize: number; batchSize: number }): AsyncGenerator<Row[]> {
  const job = await startJob(runner, sql, o.params);
  let done = false;
  async function* pages(): AsyncGenerator<Row[]> {
    let toRow: ReturnType<typeof rowConverter> | undefined;
    let pageToken: string | undefined;
    for (;;) {
      const page = await fetchPage(job, { maxResults: o.pageSize, pageToken });
      if (!page.jobComplete) continue;
      if (!toRow) {
        const fields = page.schema ?? [];
        assertDistinctColumns(fields.map((f) => f.name), o.object, runner.source);
        toRow = rowConverter(fields);
      }
      if (page.rows.length > 0) yield page.rows.map(toRow);
      if (!page.pageToken) {
        done = true;
        return;
      }
      pageToken = page.pageToken;
    }
  }
  try {
    yield* rebatch(pages(), o.batchSize);
  } finally {
    if (!done) await job.cancel().catch(() => undefined);
  }
}

/** Runs a statement (DDL, DML) as a query job and waits until it is done. */
export async function runStatement(runner: JobRunner, sql: string): Promise<void> {
  const job = await startJob(runner, sql);
  for (;;) {
    const page = await fetchPage(job, { maxResults: 0 });
    if (page.jobComplete) return;
  }
}
