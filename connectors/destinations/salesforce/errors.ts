/**
 * Salesforce failures mapped to ebb's: whole-call errors (jsforce throws them with Salesforce's
 * `errorCode`) become {@link EbbError}s of the right kind, and per-record errors (Collections'
 * `errors[]`, Bulk's `sf__Error`) become reasons with the record's own values taken out.
 */
import { authError, configError, EbbError, rateLimitError, transientError } from '../../../domain/errors';

/** A jsforce error: `errorCode` from Salesforce's `[{ errorCode, message }]`, or ERROR_HTTP_<status>. */
interface JsforceFailure {
  errorCode?: string;
  name?: string;
  message?: string;
  code?: string;
  cause?: { code?: string };
}

/** One per-record error, as Collections return it. */
export interface RecordError {
  statusCode?: string;
  message?: string;
  fields?: string[];
}

/** How long a used-up daily allocation is waited out before the next try (it is a rolling 24 h). */
export const LIMIT_EXCEEDED_RETRY_MS = 15 * 60_000;

const OAUTH_REFUSED = new Set(['invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_client_id']);
const AUTH_CODES = new Set(['INVALID_SESSION_ID', 'INVALID_AUTH_HEADER', 'INVALID_OPERATION_WITH_EXPIRED_PASSWORD']);
const ACCESS_CODES = new Set(['INSUFFICIENT_ACCESS', 'INSUFFICIENT_ACCESS_OR_READONLY', 'API_DISABLED_FOR_ORG', 'API_CURRENTLY_DISABLED']);

/** The errorCode of a jsforce error, if it has one. */
export function errorCodeOf(err: unknown): string | undefined {
  const e = err as JsforceFailure | null;
  return typeof e?.errorCode === 'string' ? e.errorCode : undefined;
}

/** True for failures worth another try: 5xx, lock contention, the network. */
export function isTransient(err: unknown): boolean {
  const code = errorCodeOf(err);
  if (code) return /^ERROR_HTTP_5\d\d$/.test(code) || code === 'SERVER_UNAVAILABLE' || code === 'UNABLE_TO_LOCK_ROW' || code === 'REQUEST_RUNNING_TOO_LONG';
  const e = err as JsforceFailure | null;
  const net = e?.code ?? e?.cause?.code;
  return (typeof net === 'string' && /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|UND_ERR)/.test(net)) || e?.name === 'AbortError' || e?.name === 'TimeoutError';
}

/** Where a failed call happened: the sObject, the org's API usage, how the connection authenticates. */
export interface CallSite {
  object: string;
  /** e.g. `1203/15000 API calls used in the last 24 h`. */
  usage?: string;
  auth: 'accessToken' | 'clientCredentials';
}

/** A failed call as an {@link EbbError} that names the object and the fix. */
export function toEbbError(err: unknown, site: CallSite): EbbError {
  if (err instanceof EbbError) return err;
  const where = `Salesforce ${site.object}`;
  const path = `object ${site.object}`;
  const e = err as JsforceFailure | null;
  const code = errorCodeOf(err) ?? (e?.name && OAUTH_REFUSED.has(e.name) ? e.name : 'ERROR');
  const said = `${code}: ${(e?.message ?? String(err)).slice(0, 300)}`;
  const usage = site.usage ? ` (${site.usage})` : '';
  const credentials =
    site.auth === 'accessToken'
      ? 'issue a new token for the integration user and update the secret that `connection.accessToken` references'
      : "check the connected app's consumer key and secret (`connection.clientId`, `connection.clientSecret`), that it enables the client-credentials flow with a run-as user, and that `loginUrl` is the org's My Domain URL";
  if (AUTH_CODES.has(code) || OAUTH_REFUSED.has(code) || /Unable to refresh session/.test(e?.message ?? '')) {
    return authError(`${where}: the credentials were refused (${said}); ${credentials}`, { path });
  }
  if (ACCESS_CODES.has(code)) {
    return authError(`${where}: the integration user lacks access (${said}); give its profile or permission set "API Enabled" and Read/Create/Edit (Delete for mirror) on ${site.object} and its mapped fields`, { path });
  }
  if (code === 'REQUEST_LIMIT_EXCEEDED') {
    return rateLimitError(`${where}: the org's daily API allocation is used up${usage}; the run resumes when the rolling 24-hour window frees calls, or raise the allocation`, LIMIT_EXCEEDED_RETRY_MS, { path });
  }
  if (isTransient(err)) return transientError(`${where}: ${said}${usage}`, { path });
  if (code === 'NOT_FOUND' || code === 'INVALID_TYPE') {
    return configError(`${where}: no such sObject, or the integration user cannot see it (${said}); use the object's API name (custom objects end in __c) and grant Read on it`, { path });
  }
  if (code === 'INVALID_FIELD') return configError(`${where}: ${said}; fix the field's API name in the mapping or grant the integration user access to it`, { path });
  return configError(`${where}: ${said}${usage}`, { path });
}

/**
 * Per-record errors as one reason: status code, fields and Salesforce's message, with every
 * value of the record itself (3+ characters) cut out: messages like STRING_TOO_LONG's quote it.
 */
export function recordReason(errors: readonly RecordError[] | undefined, values: Record<string, unknown>): string {
  const list = errors?.length ? errors : [{ statusCode: 'UNKNOWN_EXCEPTION', message: 'Salesforce gave no error detail' }];
  const secrets = Object.entries(values)
    .filter(([k, v]) => v !== null && v !== undefined && String(v).length >= 3 && String(v) !== k)
    // A Date may have been sent whole or as YYYY-MM-DD (to a date field).
    .flatMap(([, v]) => (v instanceof Date ? [v.toISOString(), v.toISOString().slice(0, 10)] : [String(v)]))
    .sort((a, b) => b.length - a.length);
  const redact = (m: string) => secrets.reduce((s, v) => s.split(v).join('…'), m);
  const text = list
    .map((e) => `Salesforce ${e.statusCode ?? 'ERROR'}${e.fields?.length ? ` on ${e.fields.join(', ')}` : ''}${e.message ? `: ${redact(e.message)}` : ''}`)
    .join('; ');
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}

/** Bulk API 2.0's `sf__Error` ("STATUS_CODE:message:Field1,Field2 --") as {@link RecordError}s. */
export function parseBulkError(sfError: string): RecordError[] {
  return sfError
    .split(/;(?=[A-Z_]+:)/)
    .filter((s) => s.trim() !== '')
    .map((one) => {
      const first = one.indexOf(':');
      const last = one.lastIndexOf(':');
      if (first < 0) return { statusCode: one.trim() };
      const tail = last > first ? one.slice(last + 1).replace(/--\s*$/, '').trim() : '';
      const fields = /^[\w]+(\s*,\s*[\w]+)*$/.test(tail) ? tail.split(',').map((f) => f.trim()) : [];
      const message = last > first && (fields.length || tail === '') ? one.slice(first + 1, last) : one.slice(first + 1);
      return { statusCode: one.slice(0, first), message: message.trim(), fields };
    });
}

/** True for per-record failures another try may fix (a row lock held by another transaction). */
export function isRetryableRecord(errors: readonly RecordError[] | undefined): boolean {
  return !!errors?.length && errors.every((e) => e.statusCode === 'UNABLE_TO_LOCK_ROW' || e.statusCode === 'SERVER_UNAVAILABLE');
}
