/**
 * In-warehouse SQL for BigQuery: every statement is a query job that commits on its own (DDL
 * is not transactional), so the run snapshot copies the rows it hashed (see
 * {@link WarehouseDialect.transactional}), and the schema ebb owns is a dataset created through
 * the API, in the source's location.
 */
import type { EbbError } from '../../../domain/errors';
import type { WarehouseDialect, WarehouseSession, WarehouseSql } from '../../types';
import { autocommitSession, guarded } from '../autocommit-session';
import { warehouseDialect } from '../warehouse-dialect';
import { quoteIdent, runStatement, streamQuery, wrapModel, type JobRunner } from './read';

/** A GoogleSQL string literal: backslash escapes, not doubled quotes. */
const literal = (value: string) => `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;

/**
 * GoogleSQL: backtick identifiers, STRING and INT64, `FARM_FINGERPRINT` (64-bit) over the
 * JSON of a STRUCT of the columns (NULL-aware and position-aware; an ARRAY could not hold
 * NULLs), INFORMATION_SCHEMA per dataset, and deletes by key with an uncorrelated `IN`.
 */
export const bigqueryDialect: WarehouseDialect = warehouseDialect({
  name: 'bigquery',
  hash: (columns, salt) => `FARM_FINGERPRINT(TO_JSON_STRING(STRUCT(${[...columns, salt].join(', ')})))`,
  quote: quoteIdent,
  literal,
  stringType: 'STRING',
  integerType: 'INT64',
  modelSql: (model) => wrapModel(model).sql,
  listTables: (schema, prefix) => `SELECT table_name AS \`table_name\` FROM ${quoteIdent(schema)}.INFORMATION_SCHEMA.TABLES WHERE table_name LIKE ${literal(`${prefix}%`)}`,
  transactional: false,
  // An uncorrelated IN: the emulator loses the aliases of a correlated DELETE … WHERE EXISTS.
  keyTuple: (columns) => (columns.length === 1 ? columns[0] : `TO_JSON_STRING(STRUCT(${columns.join(', ')}))`),
  // BigQuery takes IF NOT EXISTS on CREATE TABLE … AS, but the emulator runs it regardless;
  // looking the table up first is right on both.
  createIfNotExistsAs: false,
});

/** How a session reaches BigQuery: provided by the BigQuery source. */
export interface BigqueryWarehouseDeps {
  runner(): Promise<JobRunner>;
  location?: string;
  pageSize: number;
  fail(err: unknown): EbbError;
}

/** The BigQuery source's {@link WarehouseSql}: one query job per statement. */
export function bigqueryWarehouse(deps: BigqueryWarehouseDeps): WarehouseSql {
  return {
    dialect: bigqueryDialect,
    ensureSchema: (schema) =>
      guarded(deps.fail, async () => {
        const { bigquery } = await deps.runner();
        await bigquery.dataset(schema, deps.location ? { location: deps.location } : {}).get({ autoCreate: true });
      }),
    async begin(): Promise<WarehouseSession> {
      const runner = await guarded(deps.fail, deps.runner);
      return autocommitSession({
        exec: (sql) => runStatement(runner, sql),
        stream: (sql, batchSize) => streamQuery(runner, sql, { object: 'in-warehouse change detection', pageSize: deps.pageSize, batchSize }),
        fail: deps.fail,
      });
    },
  };
}
