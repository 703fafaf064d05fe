/**
 * In-warehouse SQL for Snowflake. Snowflake commits DDL implicitly and its transactions are
 * READ COMMITTED, so a session is not one snapshot: statements commit on their own, and the
 * run snapshot copies the rows it hashed (see {@link WarehouseDialect.transactional}).
 */
import type snowflake from 'snowflake-sdk';
import type { EbbError } from '../../../domain/errors';
import type { Row, WarehouseDialect, WarehouseSession, WarehouseSql } from '../../types';
import { DEFAULT_BATCH_SIZE } from '../rebatch';
import { warehouseDialect } from '../warehouse-dialect';
import type * as Client from './client';
import { rowOf, type SnowflakeColumn } from './values';

/**
 * Snowflake's `HASH()`: 64-bit, NULL-aware, over any number of arguments. `ROW_NUMBER()` needs
 * an ORDER BY in Snowflake.
 */
export const snowflakeDialect: WarehouseDialect = warehouseDialect({
  name: 'snowflake',
  hash: (columns, salt) => `HASH(${[...columns, salt].join(', ')})`,
  rowNumber: (keys) => `row_number() OVER (ORDER BY ${keys.join(', ')})`,
  transactional: false,
});

/** How a session reaches Snowflake: provided by the Snowflake source. */
export interface SnowflakeWarehouseDeps {
  connect(): Promise<snowflake.Connection>;
  client(): Promise<typeof Client>;
  fail(err: unknown): EbbError;
}

/** The Snowflake source's {@link WarehouseSql}: statements on the source's connection, each committing. */
export function snowflakeWarehouse(deps: SnowflakeWarehouseDeps): WarehouseSql {
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw deps.fail(err);
    }
  };
  const convert = (rows: Record<string, unknown>[], columns: SnowflakeColumn[]): Row[] => rows.map((r) => rowOf(r, columns));
  return {
    dialect: snowflakeDialect,
    async begin(): Promise<WarehouseSession> {
      const connection = await guard(deps.connect);
      const c = await deps.client();
      return {
        exec: (sql) => guard(async () => void (await c.executeAll(connection, sql))),
        query: (sql) => guard(async () => ((r) => convert(r.rows, r.columns))(await c.executeAll(connection, sql))),
        async *stream(sql, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<Row[]> {
          const stream = c.streamStatement(connection, sql);
          let finished = false;
          try {
            let columns: SnowflakeColumn[] | undefined;
            let batch: Row[] = [];
            for await (const raw of stream.rows) {
              columns ??= stream.columns();
              batch.push(rowOf(raw, columns));
              if (batch.length >= batchSize) {
                yield batch;
                batch = [];
              }
            }
            if (batch.length) yield batch;
            finished = true;
          } catch (err) {
            throw deps.fail(err);
          } finally {
            if (!finished) stream.cancel();
          }
        },
        // Every statement has committed already.
        commit: async () => undefined,
        rollback: async () => undefined,
      };
    },
  };
}
