/**
 * The little SQL surface the state store needs, implemented once for DuckDB (embedded, no
 * server) and once for PostgreSQL (shared deployments). Both take `$1`-style parameters, so
 * the store's SQL is written once.
 */

/** Column types the bulk loader understands. */
export type BulkColumnType = 'varchar' | 'double' | 'bigint';

/**
 * A bulk loader's column. `fixed`: every row holds this value in this column (a run id, say);
 * rows still carry it at its position, and a loader may send it once instead of per row.
 */
export interface BulkColumn {
  name: string;
  type: BulkColumnType;
  fixed?: string;
}

export interface SqlDriver {
  readonly dialect: 'duckdb' | 'postgres';
  /** Runs a query and returns its rows as objects. */
  query<T extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a statement; returns the number of rows it changed where the engine reports it. */
  exec(sql: string, params?: unknown[]): Promise<number>;
  /** Runs `fn` in one transaction on one connection; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T>;
  /**
   * Opens a fast loader into `table` (DuckDB's appender, or batched multi-row inserts on
   * PostgreSQL). Rows are buffered up to a bounded size and flushed as they come.
   */
  bulkLoader(table: string, columns: readonly BulkColumn[]): Promise<BulkLoader>;
  close(): Promise<void>;
}

export interface BulkLoader {
  /** Buffers a row; returns a promise only when it had to flush (await it then). */
  append(row: readonly unknown[]): Promise<void> | void;
  /** Flushes and releases. */
  close(): Promise<void>;
}
