/**
 * Building a {@link WarehouseDialect}: each SQL source names what differs in its engine, and
 * the ANSI defaults shared by DuckDB, PostgreSQL, Redshift and Snowflake fill in the rest.
 */
import type { WarehouseDialect } from '../types';
import { quoteIdent, wrapModel } from './sql-model';

/** A standard string literal: a quote is doubled. */
export function ansiLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Tables of a schema by name prefix, from the standard `information_schema`. */
export function informationSchemaTables(schema: string, prefix: string, quote = quoteIdent): string {
  // `_` is a LIKE wildcard: the prefix is matched exactly by callers; LIKE only narrows.
  return `SELECT table_name AS ${quote('table_name')} FROM information_schema.tables WHERE table_schema = ${ansiLiteral(schema)} AND table_name LIKE ${ansiLiteral(`${prefix}%`)}`;
}

/** What a dialect must say; everything else defaults to ANSI SQL. */
export type DialectSpecifics = Pick<WarehouseDialect, 'name' | 'hash'> & Partial<Omit<WarehouseDialect, 'name' | 'hash'>>;

/** A dialect: `specifics` over the ANSI defaults (double quotes, VARCHAR, BIGINT, transactional DDL). */
export function warehouseDialect(specifics: DialectSpecifics): WarehouseDialect {
  const quote = specifics.quote ?? quoteIdent;
  return {
    quote,
    literal: ansiLiteral,
    stringType: 'VARCHAR',
    integerType: 'BIGINT',
    rowNumber: () => 'row_number() OVER ()',
    modelSql: (model) => wrapModel(model).sql,
    listTables: (schema, prefix) => informationSchemaTables(schema, prefix, quote),
    transactional: true,
    createIfNotExistsAs: true,
    deleteAlias: false,
    ...specifics,
  };
}
