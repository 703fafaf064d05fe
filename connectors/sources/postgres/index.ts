/**
 * `kind: postgres`: reads a model from PostgreSQL.
 *
 * Every read opens its own connection and a REPEATABLE READ READ ONLY transaction, so the
 * whole model comes from one snapshot, and streams it through a server-side cursor.
 */
import type pg from 'pg';
import { fatalError, type EbbError } from '../../../domain/errors';
import type { SyncLogRow } from '../../../domain/sync-log';
import type { Model } from '../../../domain/spec/schema';
import type { ColumnInfo, ConnectorContext, ReadRequest, Row, Source, SourceConnector, WarehouseSql } from '../../types';
import { limitZero, wrapModel } from '../sql-model';
import { createSyncLogSql, insertSyncLogSql } from '../sync-log-sql';
import { connectClient, endClient, sourceLabel } from './client';
import { postgresSourceConfigSchema, type PostgresSourceConfig } from './config';
import { mapPostgresError } from './errors';
import { describeModel, readInTransaction } from './read';
import { postgresWarehouse } from './warehouse';

export type { PostgresSourceConfig } from './config';

class PostgresSource implements Source {
  private url?: Promise<string>;
  private label = 'postgres source';
  private readonly clients = new Set<pg.Client>();
  private closed = false;
  readonly warehouse: WarehouseSql;

  constructor(private readonly config: PostgresSourceConfig, private readonly ctx: ConnectorContext) {
    this.warehouse = postgresWarehouse({
      connect: () => this.connect(),
      release: (c) => this.release(c),
      fail: (err) => this.fail(err, 'in-warehouse change detection'),
      fetchSize: config.fetchSize,
    });
  }

  private fail(err: unknown, object: string): EbbError {
    return mapPostgresError(err, { source: this.label, object });
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
    this.label = sourceLabel(url);
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

  /** Appends to the sync log (needs CREATE on its schema the first time, then INSERT). */
  async appendSyncLog(table: string, rows: readonly SyncLogRow[]): Promise<void> {
    if (rows.length === 0) return;
    const client = await this.connect();
    try {
      for (const sql of createSyncLogSql(table, PG_TYPES)) await client.query(sql);
      const { sql, params } = insertSyncLogSql(table, rows, PG_TYPES);
      await client.query(sql, params);
    } catch (err) {
      throw this.fail(err, table);
    } finally {
      await this.release(client);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.clients].map((c) => this.release(c)));
  }
}

const PG_TYPES = { text: 'text', bigint: 'bigint', double: 'double precision', boolean: 'boolean', timestamp: 'timestamptz' } as const;

/** The PostgreSQL source connector. */
export const postgresSource: SourceConnector<PostgresSourceConfig> = {
  kind: 'postgres',
  configSchema: postgresSourceConfigSchema,
  writesSyncLog: true,
  create: (config, ctx) => new PostgresSource(config, ctx),
};
