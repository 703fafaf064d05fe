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
  // A single-node cluster refuses FETCH counts above 1000 (XX000, "exceeds the maximum"): no
  // retry helps, a smaller fetchSize does.
  if (/fetch/i.test(message) && /1000|maximum|exceed/i.test(message)) {
    return configError(`${scope.source}: ${scope.object}: the cluster refused the cursor fetch size; set source.connection.fetchSize to 1000 or less`, {
      path: 'source.connection.fetchSize',
      cause: err,
    });
  }
  return mapPostgresError(err, scope);
}
