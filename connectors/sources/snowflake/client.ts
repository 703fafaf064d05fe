/**
 * snowflake-sdk, promisified: a connection per source (opened on first use, credentials resolved
 * on the worker), statements streamed with backpressure (`streamResult` + `streamRows()`).
 */
import snowflake from 'snowflake-sdk';
import type { ConnectorContext, Row } from '../../types';
import type { SnowflakeSourceConfig } from './config';
import { rowOf, type SnowflakeColumn } from './values';

// The driver logs to a snowflake.log file in the working directory; ebb's own errors say what
// matters (they carry the driver's code and message), so its log stays off.
snowflake.configure({ logLevel: 'OFF' });

/** Opens and connects a connection. */
export async function connectSnowflake(config: SnowflakeSourceConfig, ctx: ConnectorContext): Promise<snowflake.Connection> {
  const password = await ctx.resolveSecret(config.password, 'source.connection.password');
  const connection = snowflake.createConnection({
    account: config.account,
    username: config.username,
    password,
    ...(config.warehouse ? { warehouse: config.warehouse } : {}),
    ...(config.database ? { database: config.database } : {}),
    ...(config.schema ? { schema: config.schema } : {}),
    ...(config.role ? { role: config.role } : {}),
    ...(config.accessUrl ? { accessUrl: config.accessUrl } : {}),
    application: 'ebb',
    // With NUMBER fetched as a string, the driver would otherwise hand a NULL over as 'NULL'.
    representNullAsStringNull: false,
  });
  await new Promise<void>((resolve, reject) => connection.connect((err) => (err ? reject(err) : resolve())));
  return connection;
}

/** A streamed statement: its columns (once known) and its rows as a readable stream. */
export function streamStatement(connection: snowflake.Connection, sqlText: string): { rows: AsyncIterable<Record<string, unknown>>; columns: () => SnowflakeColumn[]; cancel: () => void } {
  const statement = connection.execute({ sqlText, streamResult: true, fetchAsString: ['Number'] });
  const rows = statement.streamRows() as AsyncIterable<Record<string, unknown>>;
  return {
    rows,
    columns: () => (statement.getColumns() ?? []).map((c) => ({ name: c.getName(), type: c.getType(), precision: c.getPrecision(), scale: c.getScale() })),
    cancel: () => statement.cancel(() => undefined),
  };
}

/** Runs a statement for its columns only (the statement is planned, no row is read). */
export async function statementColumns(connection: snowflake.Connection, sqlText: string): Promise<SnowflakeColumn[]> {
  return new Promise((resolve, reject) => {
    connection.execute({
      sqlText,
      fetchAsString: ['Number'],
      complete: (err, stmt) => (err ? reject(err) : resolve((stmt.getColumns() ?? []).map((c) => ({ name: c.getName(), type: c.getType(), precision: c.getPrecision(), scale: c.getScale() })))),
    });
  });
}

/**
 * Streams a statement's rows, converted, in batches of `size`, with backpressure. A consumer
 * that stops early cancels the statement.
 */
export async function* streamBatches(connection: snowflake.Connection, sqlText: string, size: number): AsyncGenerator<Row[]> {
  const stream = streamStatement(connection, sqlText);
  let finished = false;
  try {
    let columns: SnowflakeColumn[] | undefined;
    let batch: Row[] = [];
    for await (const raw of stream.rows) {
      columns ??= stream.columns();
      batch.push(rowOf(raw, columns));
      if (batch.length >= size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
    finished = true;
  } finally {
    if (!finished) stream.cancel();
  }
}

/** Runs a statement (DDL, DML) to completion. */
export async function executeStatement(connection: snowflake.Connection, sqlText: string): Promise<void> {
  return new Promise((resolve, reject) => {
    connection.execute({ sqlText, complete: (err) => (err ? reject(err) : resolve()) });
  });
}
