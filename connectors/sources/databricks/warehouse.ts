/**
 * In-warehouse SQL for Databricks through the Statement Execution API. A Databricks SQL
 * warehouse has no multi-statement transactions: each statement commits on its own (Delta
 * tables), and the run snapshot copies the rows it hashed (see {@link WarehouseDialect.transactional}).
 */
import type { EbbError } from '../../../domain/errors';
import type { WarehouseDialect, WarehouseSession, WarehouseSql } from '../../types';
import { autocommitSession, guarded } from '../autocommit-session';
import { warehouseDialect } from '../warehouse-dialect';
import type { StatementClient } from './client';
import { quoteName, streamSql, wrapModel } from './read';

/**
 * Databricks SQL: backtick identifiers, STRING, `xxhash64()` (64-bit, NULL-aware, variadic),
 * `row_number()` only over an ordered window, and `DELETE FROM t AS s` to correlate.
 */
export const databricksDialect: WarehouseDialect = warehouseDialect({
  name: 'databricks',
  hash: (columns, salt) => `xxhash64(${[...columns, salt].join(', ')})`,
  quote: quoteName,
  stringType: 'STRING',
  rowNumber: (keys) => `row_number() OVER (ORDER BY ${keys.join(', ')})`,
  modelSql: (model) => wrapModel(model).sql,
  transactional: false,
  deleteAlias: true,
});

/** How a session reaches the warehouse: provided by the Databricks source. */
export interface DatabricksWarehouseDeps {
  connect(): Promise<StatementClient>;
  fail(err: unknown): EbbError;
}

/** The Databricks source's {@link WarehouseSql}: one statement per call, each committing. */
export function databricksWarehouse(deps: DatabricksWarehouseDeps): WarehouseSql {
  return {
    dialect: databricksDialect,
    async begin(): Promise<WarehouseSession> {
      const client = await guarded(deps.fail, deps.connect);
      return autocommitSession({
        exec: (sql) => client.execute(sql, 'INLINE'),
        stream: (sql, batchSize) => streamSql(client, sql, batchSize),
        fail: deps.fail,
      });
    },
  };
}
