/**
 * In-warehouse SQL for DuckDB sources: one connection per session, inside one transaction
 * (DuckDB's MVCC snapshot), streaming results chunk by chunk like `read()`.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { configError, type EbbError } from '../../../domain/errors';
import type { Row, WarehouseDialect, WarehouseSession, WarehouseSql } from '../../types';
import { DEFAULT_BATCH_SIZE, rebatch } from '../rebatch';
import { warehouseDialect } from '../warehouse-dialect';
import { queryRows, streamChunks } from './client';
import { rowsFromChunk } from './values';

/**
 * DuckDB's `hash()`: 64-bit, vectorised, about ten times faster than `md5` over a string (0.4 s
 * for 10M rows here). Not stable across DuckDB versions: an upgrade that changes it makes every
 * row a candidate once, and the state store's comparison of mapped payloads then keeps the
 * unchanged ones from being sent.
 */
export const duckdbDialect: WarehouseDialect = warehouseDialect({
  name: 'duckdb',
  hash: (columns, salt) => `hash(${[...columns, salt].join(', ')})`,
});

/** Statements at least this long are followed by {@link returnFreed}. */
const RETURN_FREED_AFTER_MS = 100;

/**
 * Re-applies the memory limit, unchanged: DuckDB then has its allocator (jemalloc, bundled and
 * shared by every DuckDB database in the process) hand the pages it holds freed back to the OS
 * at once, instead of when a decay timer and later allocations get to them. Between the run
 * snapshot, the SQL diff and the read-out of a 10M-row model, each step's freed hash tables and
 * buffers were otherwise still resident while the next step (and then the state store's diff)
 * allocated its own. A few milliseconds.
 */
async function returnFreed(c: DuckDBConnection, memoryLimit: string): Promise<void> {
  await c.run(`SET memory_limit = '${memoryLimit.replaceAll("'", '')}'`).catch(() => undefined);
}

/** How a session gets a connection and reports errors: provided by the DuckDB source. */
export interface DuckdbWarehouseDeps {
  readOnly: boolean;
  /** The database's memory_limit, re-applied after long statements (see {@link returnFreed}). */
  memoryLimit: string;
  connect(): Promise<DuckDBConnection>;
  /** Closes a session's connection (and lets the source release the database's memory). */
  disconnect(connection: DuckDBConnection): void;
  fail(err: unknown): EbbError;
}

/** The DuckDB source's {@link WarehouseSql}. */
export function duckdbWarehouse(deps: DuckdbWarehouseDeps): WarehouseSql {
  return {
    dialect: duckdbDialect,
    async begin(): Promise<WarehouseSession> {
      if (deps.readOnly) {
        throw configError('changeDetection.inWarehouse writes ebb\'s snapshots into the DuckDB file: set source.connection.readOnly: false', {
          path: 'source.connection.readOnly',
        });
      }
      const c = await deps.connect();
      let open = true;
      const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
        try {
          return await fn();
        } catch (err) {
          throw deps.fail(err);
        }
      };
      const end = async (sql: string) => {
        if (!open) return;
        open = false;
        try {
          await c.run(sql);
        } finally {
          deps.disconnect(c);
        }
      };
      await guard(() => c.run('BEGIN TRANSACTION')).catch((err: unknown) => {
        deps.disconnect(c);
        throw err;
      });
      return {
        exec: (sql) =>
          guard(async () => {
            const t0 = performance.now();
            await c.run(sql);
            if (performance.now() - t0 >= RETURN_FREED_AFTER_MS) await returnFreed(c, deps.memoryLimit);
          }),
        query: (sql) => guard(() => queryRows(c, sql)),
        async *stream(sql, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<Row[]> {
          try {
            const s = await streamChunks(c, sql, []);
            async function* rows(): AsyncGenerator<Row[]> {
              for await (const chunk of s.chunks) yield rowsFromChunk(chunk, s.names);
            }
            yield* rebatch(rows(), batchSize);
            // The read-out of candidates joins the whole model: its hash table is freed by now.
            await returnFreed(c, deps.memoryLimit);
          } catch (err) {
            throw deps.fail(err);
          }
        },
        commit: () => guard(() => end('COMMIT')),
        rollback: () => end('ROLLBACK').catch(() => undefined),
      };
    },
  };
}
