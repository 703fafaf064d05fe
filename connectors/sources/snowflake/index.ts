/**
 * `kind: snowflake`: reads a model from Snowflake with the official snowflake-sdk. A read is
 * one statement (one snapshot), its rows streamed with backpressure, NUMBER values fetched as
 * strings so no digit is lost. Tables with change tracking also serve `changeDetection.mode: cdc`
 * and reads pinned by time travel (`changes.ts`).
 */
import type snowflake from 'snowflake-sdk';
import { configError, fatalError } from '../../../domain/errors';
import type { Model } from '../../../domain/spec/schema';
import type { ChangeTracking, ColumnInfo, ConnectorContext, ReadRequest, Row, Source, SourceConnector, WarehouseSql } from '../../types';
import { DEFAULT_BATCH_SIZE } from '../rebatch';
import { assertDistinctColumns, limitZero, projection, quoteIdent, wrapModel } from '../sql-model';
import { snowflakeChanges } from './changes';
import type * as Client from './client';
import { snowflakeSourceConfigSchema, type SnowflakeSourceConfig } from './config';
import { toEbbError } from './errors';
import type { SnowflakeColumn } from './values';
import { snowflakeWarehouse } from './warehouse';

export type { SnowflakeSourceConfig } from './config';

/** snowflake-sdk loads on first use, so workers without a Snowflake source do not carry it. */
const client = (): Promise<typeof Client> => import('./client.js');

const TYPE_NAMES: Record<string, string> = { fixed: 'NUMBER', real: 'FLOAT', text: 'VARCHAR', boolean: 'BOOLEAN', date: 'DATE', timestamp_ntz: 'TIMESTAMP_NTZ', timestamp_ltz: 'TIMESTAMP_LTZ', timestamp_tz: 'TIMESTAMP_TZ' };

class SnowflakeSource implements Source {
  private connection?: Promise<snowflake.Connection>;
  private closed = false;
  private readonly label: string;
  /** In-warehouse change detection (`warehouse.ts`). */
  readonly warehouse: WarehouseSql;
  /** Change tracking and time-travel pinned reads (`changes.ts`). */
  readonly changes: ChangeTracking;

  constructor(private readonly config: SnowflakeSourceConfig, private readonly ctx: ConnectorContext) {
    this.label = `snowflake source (${config.account})`;
    this.warehouse = snowflakeWarehouse({
      connect: () => this.connect(),
      client,
      fail: (err) => toEbbError(err, { source: this.label, object: 'in-warehouse change detection' }),
    });
    this.changes = snowflakeChanges({
      connect: () => this.connect(),
      client,
      fail: (err, object) => toEbbError(err, { source: this.label, object }),
      label: this.label,
    });
  }

  private connect(): Promise<snowflake.Connection> {
    if (this.closed) throw fatalError(`${this.label}: used after close()`, { path: 'connection' });
    this.connection ??= client().then((c) => c.connectSnowflake(this.config, this.ctx));
    this.connection.catch(() => (this.connection = undefined));
    return this.connection;
  }

  private async guard<T>(model: Model, fn: (c: snowflake.Connection) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.connect());
    } catch (err) {
      throw toEbbError(err, { source: this.label, object: objectOf(model) });
    }
  }

  check = (model: Model): Promise<void> => this.guard(model, async (c) => void (await (await client()).statementColumns(c, limitZero(wrapModel(model).sql))));

  columns = (model: Model): Promise<ColumnInfo[]> =>
    this.guard(model, async (c) => {
      const cols = await (await client()).statementColumns(c, limitZero(wrapModel(model).sql));
      assertDistinctColumns(cols.map((x) => x.name), objectOf(model), this.label);
      return cols.map((x) => ({ name: x.name, type: x.type === 'fixed' ? `NUMBER(${x.precision},${x.scale})` : (TYPE_NAMES[x.type] ?? x.type.toUpperCase()) }));
    });

  async *read(request: ReadRequest): AsyncGenerator<Row[]> {
    try {
      const connection = await this.connect();
      const { statementColumns, streamBatches } = await client();
      const wrapped = wrapModel(request.model);
      const select = projection(request.columns);
      let sql = select === '*' ? wrapped.sql : `SELECT ${select} FROM (${wrapped.sql}) AS ebb_cols`;
      if (request.since) {
        const { column, value } = request.since;
        const info = (await statementColumns(connection, limitZero(wrapped.sql))).find((c) => c.name === column);
        if (!info) throw configError(`${this.label}: ${wrapped.object} has no watermark column ${JSON.stringify(column)}`, { path: 'changeDetection.column' });
        sql = `SELECT ${select} FROM (${wrapped.sql}) AS ebb_since WHERE ${quoteIdent(column)} >= ${sinceLiteral(info, value)}`;
      }
      yield* streamBatches(connection, sql, request.batchSize ?? DEFAULT_BATCH_SIZE);
    } catch (err) {
      throw toEbbError(err, { source: this.label, object: objectOf(request.model) });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const c = await this.connection?.catch(() => undefined);
    if (c) await new Promise<void>((resolve) => c.destroy(() => resolve()));
  }
}

/** The watermark bound as a literal (values are validated; the driver's binds are not used for it). */
function sinceLiteral(column: SnowflakeColumn, value: number | string): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw configError('the watermark is not a finite number', { path: 'changeDetection.column' });
    return String(value);
  }
  if (/^timestamp/.test(column.type)) {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw configError('the watermark is not an ISO-8601 timestamp', { path: 'changeDetection.column' });
    const frac = /\.(\d+)/.exec(value)?.[1]?.padEnd(6, '0').slice(0, 6) ?? '000000';
    return `CAST('${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.${frac}' AS TIMESTAMP)`;
  }
  return `'${value.replace(/'/g, "''")}'`;
}

function objectOf(model: Model): string {
  try {
    return wrapModel(model).object;
  } catch {
    return 'model';
  }
}

/** The Snowflake source connector. */
export const snowflakeSource: SourceConnector<SnowflakeSourceConfig> = {
  kind: 'snowflake',
  configSchema: snowflakeSourceConfigSchema,
  create: (config, ctx) => new SnowflakeSource(config, ctx),
};
