import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { textBulkLoader } from './duckdb-bulk';
import type { BulkColumn, BulkLoader, SqlDriver } from './sql-driver';

/** The embedded state store's DuckDB `memory_limit` unless `EBB_STATE_MEMORY_LIMIT` says otherwise. */
export const DEFAULT_STATE_MEMORY_LIMIT = '128MB';

/**
 * The embedded state store engine. One DuckDB file per worker; diffs are joins inside DuckDB,
 * so memory stays bounded by DuckDB's `memory_limit` (it spills to disk past that).
 */
export async function openDuckdbDriver(file: string, options: { memoryLimit?: string } = {}): Promise<SqlDriver> {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  // Insertion order is kept (DuckDB's default): changes are written in seq order, so the zone
  // maps of a chunk's row group let each chunk read skip the rest of the table.
  // 128MB: the stage of a large model spills to DuckDB's temp files past it. A 10M-row model's
  // first plan and its rerun both run in 96MB too (since change sets are no longer sorted by
  // key), but their diffs spill more: 128MB is the measured middle.
  const instance = await DuckDBInstance.create(file, { memory_limit: options.memoryLimit ?? process.env.EBB_STATE_MEMORY_LIMIT ?? DEFAULT_STATE_MEMORY_LIMIT });
  return new DuckdbDriver(instance, undefined, new ConnectionPool(instance));
}

/** Idle connections kept for reuse: opening one per statement costs more than the statement. */
class ConnectionPool {
  private readonly idle: DuckDBConnection[] = [];
  constructor(private readonly instance: DuckDBInstance) {}

  async take(): Promise<DuckDBConnection> {
    return this.idle.pop() ?? this.instance.connect();
  }

  give(c: DuckDBConnection): void {
    if (this.idle.length < 8) this.idle.push(c);
    else c.closeSync();
  }

  closeAll(): void {
    for (const c of this.idle.splice(0)) c.closeSync();
  }
}

class DuckdbDriver implements SqlDriver {
  readonly dialect = 'duckdb' as const;
  constructor(
    private readonly instance: DuckDBInstance,
    /** Set inside a transaction: every statement runs on that one connection. */
    private readonly pinned: DuckDBConnection | undefined,
    private readonly pool: ConnectionPool,
  ) {}

  private async withConnection<T>(fn: (c: DuckDBConnection) => Promise<T>, sql?: string): Promise<T> {
    // EBB_SQL_TIMING (profiling): statements over 20 ms go to stderr with their time; the SQL
    // text only, never its parameters (which may hold row data).
    if (process.env.EBB_SQL_TIMING && sql) {
      const t0 = performance.now();
      try {
        return await this.withConnection(fn);
      } finally {
        const ms = performance.now() - t0;
        if (ms > 20) console.error(`[sql ${Math.round(ms)} ms] ${sql.replace(/\s+/g, ' ').slice(0, 160)}`);
      }
    }
    if (this.pinned) return fn(this.pinned);
    const c = await this.pool.take();
    try {
      return await fn(c);
    } finally {
      this.pool.give(c);
    }
  }

  async query<T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.withConnection(async (c) => {
      const reader = await c.runAndReadAll(sql, params as DuckDBValue[]);
      return reader.getRowObjectsJS() as T[];
    }, sql);
  }

  async exec(sql: string, params: unknown[] = []): Promise<number> {
    return this.withConnection(async (c) => {
      const result = await c.run(sql, params as DuckDBValue[]);
      return Number(result.rowsChanged);
    }, sql);
  }

  async transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    if (this.pinned) return fn(this);
    const c = await this.pool.take();
    try {
      await c.run('BEGIN TRANSACTION');
      try {
        const out = await fn(new DuckdbDriver(this.instance, c, this.pool));
        await c.run('COMMIT');
        return out;
      } catch (err) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      this.pool.give(c);
    }
  }

  async bulkLoader(table: string, columns: readonly BulkColumn[]): Promise<BulkLoader> {
    return textBulkLoader(() => this.instance.connect(), table, columns);
  }

  async close(): Promise<void> {
    this.pool.closeAll();
    this.instance.closeSync();
  }
}
