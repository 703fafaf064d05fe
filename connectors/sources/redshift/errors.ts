/**
 * Redshift failures mapped to ebb's kinds. Redshift reports PostgreSQL SQLSTATEs over the same
 * wire protocol, so the PostgreSQL source's mapping applies; what differs is named here.
 */
import type { EbbError } from '../../../domain/errors';
import { configError, isEbbError } from '../../../domain/errors';
import { mapPostgresError, type PostgresErrorScope } from '../postgres/errors';

/** Maps anything `pg` threw while talking to Redshift to an {@link EbbError} naming the source and object. */
export function mapRedshiftError(err: unknown, scope: PostgresErrorScope): EbbError {
  if (isEbbError(err)) return err;
  const e = (err ?? {}) as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : '';
  // "Fetch size 20000 exceeds the limit of 1000 for a single node configuration": no retry
  // helps, a smaller fetchSize does.
  if (/fetch size/i.test(message) && /exceeds the limit/i.test(message)) {
    return configError(`${scope.source}: ${scope.object}: the cluster refused the cursor fetch size (single-node clusters take at most 1000); set source.connection.fetchSize to 1000 or less`, {
      path: 'source.connection.fetchSize',
      cause: err,
    });
  }
  // "exceeded the maximum size allowed for the total set of cursor data: 8000MB": Redshift
  // materializes a cursor's whole result on the leader node, capped per node type. The same
  // model fails every time, so retrying only burns the cluster.
  if (/total set of cursor data/i.test(message)) {
    return configError(`${scope.source}: ${scope.object}: the model's result is larger than Redshift allows a cursor on this node type; read fewer columns or rows (split the model, or use watermark mode)`, {
      path: 'model',
      cause: err,
    });
  }
  return mapPostgresError(err, scope);
}
