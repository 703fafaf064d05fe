/**
 * `kind: databricks`: reads a model from a Databricks SQL warehouse through the SQL Statement
 * Execution API 2.0 (REST; no driver). A read is one statement (one snapshot), its result
 * fetched chunk by chunk through external links, so memory holds one chunk and one batch.
 */
import { fatalError } from '../../../domain/errors';
import type { Model } from '../../../domain/spec/schema';
import type { ColumnInfo, ConnectorContext, ReadRequest, Row, Source, SourceConnector, WarehouseSql } from '../../types';
import { assertDistinctColumns } from '../sql-model';
import { StatementClient } from './client';
import { databricksSourceConfigSchema, type DatabricksSourceConfig } from './config';
import { toEbbError } from './errors';
import { columnInfo, modelColumns, readBatches, wrapModel } from './read';
import { databricksWarehouse } from './warehouse';

export type { DatabricksSourceConfig } from './config';

class DatabricksSource implements Source {
  private client?: Promise<StatementClient>;
  private closed = false;
  private readonly label: string;
  /** In-warehouse change detection (`warehouse.ts`). */
  readonly warehouse: WarehouseSql;

  constructor(private readonly config: DatabricksSourceConfig, private readonly ctx: ConnectorContext) {
    this.label = `databricks source (${new URL(config.host).host}, warehouse ${config.warehouseId})`;
    this.warehouse = databricksWarehouse({
      connect: () => this.connect(),
      fail: (err) => toEbbError(err, { source: this.label, object: 'in-warehouse change detection' }),
    });
  }

  private connect(): Promise<StatementClient> {
    if (this.closed) throw fatalError(`${this.label}: used after close()`, { path: 'connection' });
    this.client ??= this.ctx.resolveSecret(this.config.token, 'source.connection.token').then((token) => new StatementClient(this.config, token));
    this.client.catch(() => (this.client = undefined));
    return this.client;
  }

  private async guard<T>(model: Model, fn: (c: StatementClient) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.connect());
    } catch (err) {
      throw toEbbError(err, { source: this.label, object: safeObject(model) });
    }
  }

  check = (model: Model): Promise<void> => this.guard(model, async (c) => void (await modelColumns(c, model)));

  columns = (model: Model): Promise<ColumnInfo[]> =>
    this.guard(model, async (c) => {
      const cols = await modelColumns(c, model);
      assertDistinctColumns(cols.map((x) => x.name), safeObject(model), this.label);
      return columnInfo(cols);
    });

  async *read(request: ReadRequest): AsyncGenerator<Row[]> {
    try {
      yield* readBatches(await this.connect(), request, this.label);
    } catch (err) {
      throw toEbbError(err, { source: this.label, object: safeObject(request.model) });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function safeObject(model: Model): string {
  try {
    return wrapModel(model).object;
  } catch {
    return 'model';
  }
}

/** The Databricks source connector. */
export const databricksSource: SourceConnector<DatabricksSourceConfig> = {
  kind: 'databricks',
  configSchema: databricksSourceConfigSchema,
  create: (config, ctx) => new DatabricksSource(config, ctx),
};
