/**
 * PostgreSQL failures mapped to ebb's kinds, by SQLSTATE (server errors) or Node error code
 * (network). Messages name the source and the object; server messages about data are
 * redacted, since they can quote row values.
 */
import type { EbbError } from '../../../domain/errors';
import { authError, configError, dataError, fatalError, isEbbError, transientError } from '../../../domain/errors';
import { redactValues } from '../redact';

/** Where a PostgreSQL error happened. */
export interface PostgresErrorScope {
  /** `postgres source db.example.com:5432/analytics` (never the password). */
  source: string;
  /** `table "public.people"`, `model (sql)`, `connection` */
  object: string;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** Maps anything `pg` threw to an {@link EbbError} naming the source and object. */
export function mapPostgresError(err: unknown, scope: PostgresErrorScope): EbbError {
  if (isEbbError(err)) return err;
  const e = (err ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  const at = `${scope.source}: ${scope.object}`;
  const o = { path: scope.object, cause: err };

  if (NETWORK_CODES.has(code)) return transientError(`${scope.source}: cannot reach the server (${code})`, o);
  if (code === '28P01' || code === '28000') return authError(`${scope.source}: credentials refused: ${message} (${code})`, o);
  if (code === '42501') return authError(`${at}: permission denied: ${message} (${code})`, o);
  if (code === '3D000' || code === '3F000') return configError(`${scope.source}: ${message} (${code})`, o);
  if (code.startsWith('42')) return configError(`${at}: ${message} (${code})`, o);
  if (code.startsWith('22') || code.startsWith('23')) {
    return dataError(`${at}: the model failed on its data: ${redactValues(message)} (${code})`, { path: scope.object });
  }
  if (code === '25P03') return transientError(`${at}: the server ended the idle read transaction (${code}); will retry`, o);
  if (/^(08|40|53|57|58)/.test(code)) return transientError(`${at}: ${message} (${code})`, o);
  if (code.startsWith('XX')) return fatalError(`${at}: ${message} (${code})`, o);
  if (code === '') {
    // pg's own connection failures carry no code: "Connection terminated unexpectedly", timeouts.
    if (/connection|terminated|timeout|socket|closed/i.test(message)) return transientError(`${at}: ${message}`, o);
  }
  return transientError(`${at}: ${message}${code ? ` (${code})` : ''}`, o);
}
