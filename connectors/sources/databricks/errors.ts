import { authError, configError, EbbError, rateLimitError, transientError } from '../../../domain/errors';
import { redactValues } from '../redact';

/** A Statement Execution API error: HTTP status (or 0 for a failed statement) and Databricks' error code. */
export class DatabricksApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** A failure as an {@link EbbError} saying what is wrong: network, auth, permission or missing object. */
export function toEbbError(err: unknown, site: { source: string; object: string }): EbbError {
  if (err instanceof EbbError) return err;
  const path = site.object;
  if (err instanceof DatabricksApiError) {
    const said = `${err.errorCode}: ${redactValues(err.message.split('\n')[0])}`;
    if (err.status === 401 || err.errorCode === 'UNAUTHENTICATED') return authError(`${site.source}: the token was refused (${said}); create a new token and update the secret \`source.connection.token\` references`, { path });
    if (err.status === 403 || err.errorCode === 'PERMISSION_DENIED') return authError(`${site.source}: no permission to read ${site.object} (${said}); GRANT SELECT on it (and USE CATALOG / USE SCHEMA) to the token's principal`, { path });
    if (err.status === 429) return rateLimitError(`${site.source}: rate limited (${said})`, err.retryAfterMs ?? 1_000, { path });
    if (err.status >= 500) return transientError(`${site.source}: ${said}`, { path });
    if (/TABLE_OR_VIEW_NOT_FOUND|SCHEMA_NOT_FOUND|RESOURCE_DOES_NOT_EXIST/.test(said)) return configError(`${site.source}: ${site.object} was not found (${said}); check the model's table or SQL, and warehouseId`, { path });
    return configError(`${site.source}: ${said}`, { path });
  }
  return transientError(`${site.source}: ${err instanceof Error ? err.message : String(err)}`, { path, cause: err });
}
