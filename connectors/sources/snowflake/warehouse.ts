/**
 * In-warehouse SQL for Snowflake. Snowflake commits DDL implicitly and its transactions are
 * READ COMMITTED, so a session is not one snapshot: statements commit on their own, and the
 * run snapshot copies the rows it hashed (see {@link WarehouseDialect.transactional}).
 */
import type snowflake from 'snowflake-sdk';
import type { EbbError } from '../../../domain/errors';
import type { WarehouseDialect, WarehouseSession, WarehouseSql } from '../../types';
import { autocommitSession, guarded } from '../autocommit-session';
import { warehouseDialect } from '../warehouse-dialect';
import type * as Client from './client';

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
  return {
    dialect: snowflakeDialect,
    async begin(): Promise<WarehouseSession> {
      const connection = await guarded(deps.fail, deps.connect);
      const c = await deps.client();
      return autocommitSession({
        exec: (sql) => c.executeStatement(connection, sql),
        stream: (sql, batchSize) => c.streamBatches(connection, sql, batchSize),
        fail: deps.fail,
      });
    },
  };
}
