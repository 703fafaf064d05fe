/**
 * BigQuery failures mapped to ebb's kinds: by the API's error `reason` first (what BigQuery
 * documents), then its HTTP status, then Node's network codes. Server messages can quote
 * values from the data (`Bad int64 value: …`), so they are redacted.
 */
import type { EbbError } from '../../../domain/errors';
import { authError, configError, dataError, isEbbError, rateLimitError, transientError } from '../../../domain/errors';
import { redactValues } from '../redact';

/** Where a BigQuery error happened. */
export interface BigqueryErrorScope {
  /** `bigquery source project my-project`. */
  source: string;
  /** `table "analytics.people"`, `model (sql)`, `connection`. */
  object: string;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'UND_ERR_SOCKET']);

/** Reasons no retry can fix: https://cloud.google.com/bigquery/docs/error-messages */
const CONFIG_REASONS = new Set(['notFound', 'invalidQuery', 'invalid', 'duplicate', 'resourcesExceeded', 'responseTooLarge', 'billingNotEnabled', 'billingTierLimitExceeded', 'notImplemented']);
const AUTH_REASONS = new Set(['accessDenied', 'authError', 'required', 'forbidden', 'unauthorized']);
const RATE_REASONS = new Set(['rateLimitExceeded', 'quotaExceeded']);
// jobInternalError is a 400, but BigQuery documents it as an internal failure worth a retry.
const TRANSIENT_REASONS = new Set(['backendError', 'internalError', 'jobBackendError', 'jobInternalError', 'jobRateLimitExceeded', 'tableUnavailable', 'stopped', 'timeout']);

/** Messages that say the data failed the query (a value out of range, a bad cast), not the query itself. */
const DATA_MESSAGE = /\bBad (?:int64|double|numeric|bignumeric|bool) value|division by zero|Could not cast|Invalid (?:timestamp|datetime|date|time|cast)\b|out of range|overflow/i;
/**
 * Analysis failures. The emulator reports them as `jobInternalError` ("failed to analyze:
 * Table not found"), so the words decide, not only the reason.
 */
const CONFIG_MESSAGE = /not found: (?:table|dataset|project)|(?:table|dataset) not found|failed to (?:analyze|parse)|syntax error|unrecognized name|must be qualified with a dataset/i;

interface GoogleApiError {
  code?: unknown;
  message?: unknown;
  errors?: { reason?: string; message?: string }[];
  response?: { headers?: Record<string, string | undefined> };
}

/** Maps anything the BigQuery client threw to an {@link EbbError} naming the source and the object. */
export function mapBigqueryError(err: unknown, scope: BigqueryErrorScope): EbbError {
  if (isEbbError(err)) return err;
  const e = (err ?? {}) as GoogleApiError;
  const status = typeof e.code === 'number' ? e.code : undefined;
  const netCode = typeof e.code === 'string' ? e.code : (err as { cause?: { code?: unknown } })?.cause?.code;
  const reason = e.errors?.find((x) => x.reason)?.reason ?? '';
  const raw = typeof e.message === 'string' ? e.message : String(err);
  // One line, bounded: an emulator's panic carries a whole stack trace in its message.
  const firstLine = raw.split('\n', 1)[0];
  const message = redactValues(firstLine.length > 300 ? `${firstLine.slice(0, 300)}…` : firstLine);
  const at = `${scope.source}: ${scope.object}`;
  const o = { path: scope.object, cause: err };
  const tag = [reason, status].filter(Boolean).join(' ');
  const said = `${message}${tag ? ` (${tag})` : ''}`;

  if (typeof netCode === 'string' && NETWORK_CODES.has(netCode)) return transientError(`${scope.source}: cannot reach BigQuery (${netCode})`, o);
  if (/Could not load the default credentials/i.test(raw)) {
    return configError(`${scope.source}: no credentials: set source.connection.credentials to a service-account key reference, or provide application default credentials`, { path: 'source.connection.credentials', cause: err });
  }
  if (/DECODER routines|PEM routines|invalid_grant|No key or keyFile/i.test(raw)) {
    return authError(`${scope.source}: the service-account key in source.connection.credentials cannot sign requests`, { path: 'source.connection.credentials', cause: err });
  }
  if (RATE_REASONS.has(reason) || status === 429) {
    const retryAfter = Number(e.response?.headers?.['retry-after']);
    return rateLimitError(`${at}: BigQuery rate limit: ${said}`, Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined, o);
  }
  if (status === 401 || reason === 'authError' || reason === 'unauthorized') return authError(`${scope.source}: credentials refused: ${said}`, o);
  if (status === 403 || AUTH_REASONS.has(reason)) return authError(`${at}: permission denied: ${said}`, o);
  if (DATA_MESSAGE.test(firstLine)) return dataError(`${at}: the model failed on its data: ${said}`, { path: scope.object });
  if (CONFIG_MESSAGE.test(firstLine)) return configError(`${at}: ${said}`, o);
  if (TRANSIENT_REASONS.has(reason)) return transientError(`${at}: ${said}`, o);
  if (status === 404 || status === 400 || CONFIG_REASONS.has(reason)) return configError(`${at}: ${said}`, o);
  return transientError(`${at}: ${said}`, o);
}
