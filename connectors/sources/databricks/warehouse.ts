/**
 * In-warehouse SQL for Databricks through the Statement Execution API. A Databricks SQL
 * warehouse has no multi-statement transactions: each statement commits on its own (Delta
 * tables), and the run snapshot copies the rows it hashed (see {@link WarehouseDialect.transactional}).
 */
import type { EbbError } from '../../../domain/errors';
import type { Row, WarehouseDialect, WarehouseSession, WarehouseSql } from '../../types';
import { DEFAULT_BATCH_SIZE } from '../rebatch';
import { informationSchemaTables, warehouseDialect } from '../warehouse-dialect';
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
  listTables: (schema, prefix) => informationSchemaTables(schema, prefix, quoteName),
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
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw deps.fail(err);
    }
  };
  return {
    dialect: databricksDialect,
    async begin(): Promise<WarehouseSession> {
      const client = await guard(deps.connect);
      const all = async (sql: string): Promise<Row[]> => {
        const rows: Row[] = [];
        for await (const batch of streamSql(client, sql, DEFAULT_BATCH_SIZE)) rows.push(...batch);
        return rows;
      };
      return {
        exec: (sql) => guard(async () => void (await client.execute(sql, 'INLINE'))),
        query: (sql) => guard(() => all(sql)),
        async *stream(sql, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<Row[]> {
          try {
            yield* streamSql(client, sql, batchSize);
          } catch (err) {
            throw deps.fail(err);
          }
        },
        // Every statement has committed already.
        commit: async () => undefined,
        rollback: async () => undefined,
      };
    },
  };
}
