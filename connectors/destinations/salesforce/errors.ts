import { authError, configError, EbbError, rateLimitError, transientError } from '../../../domain/errors';

/** A jsforce error: `errorCode` from Salesforce's `[{ errorCode, message }]`, or ERROR_HTTP_<status>. */
export interface JsforceFailure {
  errorCode?: string;
  name?: string;
  message?: string;
  code?: string;
}

/** The errorCode of a jsforce error, if it has one. */
export function errorCodeOf(err: unknown): string | undefined {
  const e = err as JsforceFailure | null;
  return typeof e?.errorCode === 'string' ? e.errorCode : undefined;
}

/** True for failures worth another try in place: 5xx, lock contention, the network. */
export function isTransient(err: unknown): boolean {
  const code = errorCodeOf(err);
  if (code) return /^ERROR_HTTP_5\d\d$/.test(code) || code === 'SERVER_UNAVAILABLE' || code === 'UNABLE_TO_LOCK_ROW';
  const net = (err as JsforceFailure | null)?.code;
  return typeof net === 'string' && /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|UND_ERR)/.test(net);
}

/** A failed call as an {@link EbbError} that names the object and the fix. */
export function toEbbError(err: unknown, site: { object: string; usage?: string }): EbbError {
  if (err instanceof EbbError) return err;
  const where = `Salesforce ${site.object}`;
  const path = `object ${site.object}`;
  const code = errorCodeOf(err) ?? 'ERROR';
  const said = `${code}: ${(err as Error)?.message ?? String(err)}`;
  if (code === 'INVALID_SESSION_ID' || code === 'INVALID_AUTH_HEADER') {
    return authError(`${where}: the access token was refused (${said}); refresh the connected app's token and update the secret \`connection.accessToken\` references`, { path });
  }
  if (code === 'INSUFFICIENT_ACCESS' || code === 'INSUFFICIENT_ACCESS_OR_READONLY') {
    return authError(`${where}: the integration user lacks access (${said}); grant Read/Create/Edit (and Delete for mirror) on ${site.object} and its mapped fields`, { path });
  }
  if (code === 'REQUEST_LIMIT_EXCEEDED') {
    return rateLimitError(`${where}: the org's daily API allocation is used up${site.usage ? ` (${site.usage})` : ''}; the run resumes when it frees up`, 15 * 60_000, { path });
  }
  if (isTransient(err)) return transientError(`${where}: ${said}`, { path });
  return configError(`${where}: ${said}`, { path });
}
