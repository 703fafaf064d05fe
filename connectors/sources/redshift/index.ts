/**
 * `kind: redshift`: reads a model from Amazon Redshift (provisioned or Serverless) over the
 * PostgreSQL wire protocol with `pg`.
 *
 * Every read opens its own connection and one read-only transaction, so the whole model comes
 * from one snapshot, and streams it through a named cursor, `fetchSize` rows per FETCH.
 * UNLOAD to S3 is not used: the cursor is the only path (see the README for its limits).
 * With `changeDetection.inWarehouse`, the diff runs in Redshift (`warehouse.ts`).
 */
import type pg from 'pg';
import { fatalError, type EbbError } from '../../../domain/errors';
import type { Model } from '../../../domain/spec/schema';
import type { ColumnInfo, ConnectorContext, ReadRequest, Row, Source, SourceConnector, WarehouseSql } from '../../types';
import { postgresWarehouse } from '../postgres/warehouse';
import { sourceLabel } from '../postgres/client';
import { limitZero, wrapModel } from '../sql-model';
import { connectClient, endClient } from './client';
import { redshiftSourceConfigSchema, type RedshiftSourceConfig } from './config';
import { mapRedshiftError } from './errors';
import { describeModel, readInTransaction } from './read';
import { redshiftDialect } from './warehouse';

export type { RedshiftSourceConfig } from './config';

class RedshiftSource implements Source {
  private url?: Promise<string>;
  private label = 'redshift source';
  private readonly clients = new Set<pg.Client>();
  private closed = false;
  /** In-warehouse change detection: PostgreSQL's sessions in Redshift's dialect. */
  readonly warehouse: WarehouseSql;

  constructor(private readonly config: RedshiftSourceConfig, private readonly ctx: ConnectorContext) {
    this.warehouse = postgresWarehouse({
      dialect: redshiftDialect,
      connect: () => this.connect(),
      release: (c) => this.release(c),
      fail: (err) => this.fail(err, 'in-warehouse change detection'),
      // Never a single-row FETCH (see read.ts).
      fetchSize: Math.max(2, config.fetchSize),
      plainCursor: true,
    });
  }

  private fail(err: unknown, object: string): EbbError {
    return mapRedshiftError(err, { source: this.label, object });
  }

  /** A new client; the URL is resolved from its secret reference once, on first use. */
  private async connect(): Promise<pg.Client> {
    if (this.closed) throw fatalError(`${this.label}: used after close()`, { path: 'connection' });
    this.url ??= this.ctx.resolveSecret(this.config.url, 'source.connection.url');
    let url: string;
    try {
      url = await this.url;
    } catch (err) {
      this.url = undefined;
      throw err;
    }
    this.label = sourceLabel(url, 'redshift');
    try {
      const client = await connectClient({ url, statementTimeoutMs: this.config.statementTimeoutMs });
      this.clients.add(client);
      return client;
    } catch (err) {
      throw this.fail(err, 'connection');
    }
  }

  private async release(client: pg.Client): Promise<void> {
    this.clients.delete(client);
    await endClient(client);
  }

  private async withClient<T>(model: Model, use: (client: pg.Client) => Promise<T>): Promise<T> {
    const object = wrapModel(model).object;
    const client = await this.connect();
    try {
      return await use(client);
    } catch (err) {
      throw this.fail(err, object);
    } finally {
      await this.release(client);
    }
  }

  async check(model: Model): Promise<void> {
    await this.withClient(model, (c) => c.query(limitZero(wrapModel(model).sql)));
  }

  async columns(model: Model): Promise<ColumnInfo[]> {
    return this.withClient(model, (c) => describeModel(c, model));
  }

  async *read(request: ReadRequest): AsyncGenerator<Row[]> {
    const object = wrapModel(request.model).object;
    const client = await this.connect();
    let open = false;
    try {
      // Redshift maps every isolation level to SERIALIZABLE; PostgreSQL (and the tests) get a
      // REPEATABLE READ snapshot. Either way: one snapshot for the whole read.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      open = true;
      yield* readInTransaction(client, request, { fetchSize: this.config.fetchSize, source: this.label });
      await client.query('COMMIT');
      open = false;
    } catch (err) {
      throw this.fail(err, object);
    } finally {
      // Also runs when the consumer stops early: end the snapshot and hand the connection back.
      if (open) await client.query('ROLLBACK').catch(() => undefined);
      await this.release(client);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.clients].map((c) => this.release(c)));
  }
}

/** The Redshift source connector. */
export const redshiftSource: SourceConnector<RedshiftSourceConfig> = {
  kind: 'redshift',
  configSchema: redshiftSourceConfigSchema,
  create: (config, ctx) => new RedshiftSource(config, ctx),
};
