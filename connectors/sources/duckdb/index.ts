/**
 * `kind: duckdb`: reads a model from an embedded DuckDB database file.
 *
 * One DuckDB handle per Source, opened on first use; each read uses its own connection and
 * one streaming query, which DuckDB runs as one transaction: a consistent snapshot.
 */
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { configError, fatalError, type EbbError } from '../../../domain/errors';
import type { SyncLogRow } from '../../../domain/sync-log';
import type { Model } from '../../../domain/spec/schema';
import type { ColumnInfo, ConnectorContext, ReadRequest, Row, Source, SourceConnector, WarehouseSql } from '../../types';
import { limitZero, wrapModel } from '../sql-model';
import { createSyncLogSql, insertSyncLogSql } from '../sync-log-sql';
import { duckdbInstanceOptions, MEMORY_PATH, openDuckdb } from './client';
import { duckdbSourceConfigSchema, type DuckdbSourceConfig } from './config';
import { mapDuckdbError } from './errors';
import { describeModel, readBatches } from './read';
import { duckdbWarehouse } from './warehouse';

export type { DuckdbSourceConfig } from './config';

class DuckdbSource implements Source {
  private readonly file: string;
  private readonly label: string;
  private instance?: Promise<DuckDBInstance>;
  private closed = false;
  /** Connections open (or opening) on this handle. */
  private connections = 0;
  readonly warehouse: WarehouseSql;

  constructor(private readonly config: DuckdbSourceConfig, ctx: ConnectorContext) {
    this.file = config.path === MEMORY_PATH ? MEMORY_PATH : path.resolve(ctx.baseDir, config.path);
    this.label = `duckdb source ${this.file}`;
    this.warehouse = duckdbWarehouse({
      readOnly: config.readOnly && this.file !== MEMORY_PATH,
      memoryLimit: config.memoryLimit.trim(),
      connect: () => this.connect('warehouse'),
      disconnect: (c) => this.disconnect(c, true),
      fail: (err) => this.fail(err, 'in-warehouse change detection'),
    });
  }

  private fail(err: unknown, object: string): EbbError {
    return mapDuckdbError(err, { source: this.label, object });
  }

  /** A fresh connection; the database is opened on first use, and again after a release. */
  private async connect(object: string): Promise<DuckDBConnection> {
    if (this.closed) throw fatalError(`${this.label}: used after close()`, { path: object });
    this.connections++;
    try {
      this.instance ??= openDuckdb(this.file, duckdbInstanceOptions(this.config, this.file));
      return await (await this.instance).connect();
    } catch (err) {
      this.connections--;
      this.instance = undefined; // a lock held by another process may clear: retry opens again
      throw this.fail(err, 'database file');
    }
  }

  /**
   * Closes a connection. With `release` (the end of an in-warehouse session), the last one open
   * also closes this handle on the database: DuckDB keeps the blocks a query read or wrote in
   * its buffer pool, up to `memoryLimit`, for as long as the database is open, and after a
   * 10M-row in-warehouse diff that is the whole limit, held through the state store's diff and
   * the destination writes that follow. Reopening costs a few milliseconds. Reads keep the
   * database open, as before: a model read in many slices would otherwise reopen it for each.
   * An in-memory database stays open (closing it would lose it), as does an engine another
   * handle in this process still holds.
   */
  private disconnect(connection: DuckDBConnection, release = false): void {
    connection.closeSync();
    if (--this.connections > 0 || !release || this.file === MEMORY_PATH) return;
    const instance = this.instance;
    this.instance = undefined;
    if (instance) void instance.then((i) => i.closeSync(), () => undefined);
  }

  private async withConnection<T>(model: Model, use: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const object = wrapModel(model).object;
    const connection = await this.connect(object);
    try {
      return await use(connection);
    } catch (err) {
      throw this.fail(err, object);
    } finally {
      this.disconnect(connection);
    }
  }

  async check(model: Model): Promise<void> {
    await this.withConnection(model, (c) => c.run(limitZero(wrapModel(model).sql)));
  }

  async columns(model: Model): Promise<ColumnInfo[]> {
    return this.withConnection(model, (c) => describeModel(c, model));
  }

  async *read(request: ReadRequest): AsyncGenerator<Row[]> {
    const object = wrapModel(request.model).object;
    const connection = await this.connect(object);
    try {
      yield* readBatches(connection, request, this.label);
    } catch (err) {
      throw this.fail(err, object);
    } finally {
      // Also runs when the consumer stops early: closing the connection ends the query.
      this.disconnect(connection);
    }
  }

  /**
   * Appends to the sync log in the warehouse file. A read-only source gets its own read-write
   * handle for this one statement, after the run's reads are done: the sync log is the only
   * thing ebb ever writes to a DuckDB warehouse.
   */
  async appendSyncLog(table: string, rows: readonly SyncLogRow[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.file === MEMORY_PATH) throw configError(`${this.label}: an in-memory database cannot keep a sync log`, { path: 'syncLog' });
    // DuckDB keeps one engine per file per process: let go of the read-only one first.
    const reading = this.instance;
    this.instance = undefined;
    if (reading) await reading.then((i) => i.closeSync(), () => undefined);
    const instance = await openDuckdb(this.file, { ...duckdbInstanceOptions(this.config, this.file), access_mode: 'READ_WRITE' }).catch((err: unknown) => {
      throw this.fail(err, table);
    });
    const c = await instance.connect();
    try {
      for (const sql of createSyncLogSql(table, DUCKDB_TYPES)) await c.run(sql);
      const { sql, params } = insertSyncLogSql(table, rows, DUCKDB_TYPES);
      await c.run(sql, params as never);
    } catch (err) {
      throw this.fail(err, table);
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const instance = this.instance;
    this.instance = undefined;
    if (instance) await instance.then((i) => i.closeSync(), () => undefined);
  }
}

const DUCKDB_TYPES = { text: 'VARCHAR', bigint: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN', timestamp: 'TIMESTAMPTZ' } as const;

/** The DuckDB source connector. */
export const duckdbSource: SourceConnector<DuckdbSourceConfig> = {
  kind: 'duckdb',
  configSchema: duckdbSourceConfigSchema,
  writesSyncLog: true,
  create: (config, ctx) => new DuckdbSource(config, ctx),
};
