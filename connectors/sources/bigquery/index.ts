/**
 * `kind: bigquery`: reads a model from Google BigQuery with `@google-cloud/bigquery`.
 *
 * Each read runs the model as one query job and pages through its result with
 * getQueryResults (`pageSize` rows a call), so the read is one snapshot and memory holds one
 * page. The Storage Read API is not used (see the README for when it would pay off).
 */
import type { BigQuery, Query } from '@google-cloud/bigquery';
import { fatalError, type EbbError } from '../../../domain/errors';
import type { Model } from '../../../domain/spec/schema';
import type { ColumnInfo, ConnectorContext, ReadRequest, Row, Source, SourceConnector, WarehouseSql } from '../../types';
import { createClient, sourceLabel } from './client';
import { bigquerySourceConfigSchema, type BigquerySourceConfig } from './config';
import { mapBigqueryError } from './errors';
import { limitZero, querySchema, readModel, wrapModel, type JobRunner } from './read';
import { schemaColumns } from './values';
import { bigqueryWarehouse } from './warehouse';

export type { BigquerySourceConfig } from './config';

class BigquerySource implements Source {
  private client?: Promise<BigQuery>;
  private readonly label: string;
  private closed = false;
  /** In-warehouse change detection (`warehouse.ts`). */
  readonly warehouse: WarehouseSql;

  constructor(private readonly config: BigquerySourceConfig, private readonly ctx: ConnectorContext) {
    this.label = sourceLabel(config.projectId);
    this.warehouse = bigqueryWarehouse({
      runner: () => this.runner(),
      location: config.location,
      pageSize: config.pageSize,
      fail: (err) => this.fail(err, 'in-warehouse change detection'),
    });
  }

  private fail(err: unknown, object: string): EbbError {
    return mapBigqueryError(err, { source: this.label, object });
  }

  /** The client, built once; the credentials are resolved from their reference on first use. */
  private async runner(): Promise<JobRunner> {
    if (this.closed) throw fatalError(`${this.label}: used after close()`, { path: 'connection' });
    const { config } = this;
    this.client ??= (async () => {
      const credentialsJson = config.credentials ? await this.ctx.resolveSecret(config.credentials, 'source.connection.credentials') : undefined;
      return createClient({ projectId: config.projectId, location: config.location, apiEndpoint: config.apiEndpoint, credentialsJson });
    })();
    let bigquery: BigQuery;
    try {
      bigquery = await this.client;
    } catch (err) {
      this.client = undefined;
      throw err;
    }
    const jobOptions: Partial<Query> = {
      ...(config.location ? { location: config.location } : {}),
      ...(config.dataset ? { defaultDataset: { datasetId: config.dataset, projectId: config.projectId } } : {}),
      ...(config.jobTimeoutMs ? { jobTimeoutMs: config.jobTimeoutMs } : {}),
      ...(config.maximumBytesBilled ? { maximumBytesBilled: config.maximumBytesBilled } : {}),
      labels: { ebb: 'source' },
    };
    return { bigquery, jobOptions, source: this.label };
  }

  private async withRunner<T>(model: Model, use: (runner: JobRunner, sql: string) => Promise<T>): Promise<T> {
    try {
      const wrapped = wrapModel(model);
      return await use(await this.runner(), wrapped.sql);
    } catch (err) {
      throw this.fail(err, objectOf(model));
    }
  }

  /** Proves the credentials, the project and the model: a dry run (free) that BigQuery plans fully. */
  async check(model: Model): Promise<void> {
    await this.withRunner(model, (runner, sql) => runner.bigquery.createQueryJob({ ...runner.jobOptions, query: limitZero(sql), useLegacySql: false, dryRun: true }));
  }

  async columns(model: Model): Promise<ColumnInfo[]> {
    return this.withRunner(model, async (runner, sql) => schemaColumns(await querySchema(runner, sql)));
  }

  async *read(request: ReadRequest): AsyncGenerator<Row[]> {
    const object = objectOf(request.model);
    try {
      yield* readModel(await this.runner(), request, { pageSize: this.config.pageSize });
    } catch (err) {
      throw this.fail(err, object);
    }
  }

  /** Nothing to release: requests are plain HTTPS calls; a closed source refuses new work. */
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** The model's name for messages, even when the model itself is malformed. */
function objectOf(model: Model): string {
  return 'table' in model ? `table ${JSON.stringify(model.table)}` : 'model (sql)';
}

/** The BigQuery source connector. */
export const bigquerySource: SourceConnector<BigquerySourceConfig> = {
  kind: 'bigquery',
  configSchema: bigquerySourceConfigSchema,
  create: (config, ctx) => new BigquerySource(config, ctx),
};
