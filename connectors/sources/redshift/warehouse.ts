/**
 * In-warehouse SQL for Redshift: PostgreSQL's sessions (one transaction, one snapshot: Redshift
 * runs every transaction SERIALIZABLE, and its DDL is transactional), in Redshift's dialect.
 */
import type { WarehouseDialect } from '../../types';
import { warehouseDialect } from '../warehouse-dialect';

/** Redshift's VARCHAR defaults to 256 bytes; casts for hashing must not truncate. */
const TEXT = 'VARCHAR(65535)';

/**
 * `md5` over the columns as text, each prefixed by its length (`NULL` as `~`), so the hash is
 * NULL-aware and position-aware without `json_build_array`, which Redshift lacks.
 */
export const redshiftDialect: WarehouseDialect = warehouseDialect({
  name: 'redshift',
  hash: (columns, salt) => {
    const parts = columns.map((c) => `coalesce(CAST(length(CAST(${c} AS ${TEXT})) AS VARCHAR(12)) || ':' || CAST(${c} AS ${TEXT}), '~')`);
    return `md5(${[...parts, salt].join(` || '|' || `)})`;
  },
  stringType: TEXT,
  // CREATE TABLE AS has no IF NOT EXISTS on Redshift.
  createIfNotExistsAs: false,
});
