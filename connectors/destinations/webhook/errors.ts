import { authError, configError, dataError, type EbbError, rateLimitError, transientError } from '../../../domain/errors';

/** Where a request went, for messages: origin and path only (a query string may carry a token). */
export interface WebhookSite {
  endpoint: string;
  object: string;
}

/** The part of a URL safe to print. */
export function endpointOf(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** True for answers worth another try: 408, 429 and 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * A non-2xx answer as an {@link EbbError}. The response body is not quoted: a receiver may echo
 * row values in it.
 */
export function statusError(status: number, site: WebhookSite, retryAfterMs: number | undefined): EbbError {
  const at = `webhook ${site.endpoint} answered ${status} for object "${site.object}"`;
  const o = { path: `object ${site.object}` };
  if (status === 401 || status === 403) return authError(`${at}: the receiver refused the credentials; check signingSecret (and any credential headers) match the receiver's`, o);
  if (status === 404) return configError(`${at}: no such endpoint or object; fix connection.url or \`object\``, o);
  if (status === 429) return rateLimitError(`${at}: rate limited; will retry after ${retryAfterMs ?? 'a backoff'} ms`, retryAfterMs, o);
  if (status === 503 && retryAfterMs !== undefined) return rateLimitError(`${at}: unavailable; will retry after ${retryAfterMs} ms`, retryAfterMs, o);
  if (status === 408 || status >= 500) return transientError(`${at}: the receiver failed; will retry`, o);
  if (status === 413) return dataError(`${at}: the batch is too large for the receiver; lower batchSize`, o);
  return dataError(`${at}: the receiver refused the whole batch; check the mapping against what it expects`, o);
}

/** A request that got no answer (refused, reset, timed out) as an {@link EbbError}. */
export function networkError(err: unknown, site: WebhookSite, timeoutMs: number): EbbError {
  const e = err as Error & { cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return transientError(`webhook ${site.endpoint} did not answer within ${timeoutMs} ms for object "${site.object}"; will retry (raise timeoutMs if the receiver is slow)`, { path: `object ${site.object}`, cause: err });
  }
  const code = e?.cause?.code ?? (err as { code?: string })?.code;
  if (code === 'ENOTFOUND') return configError(`webhook host of ${site.endpoint} does not resolve; fix connection.url`, { path: `object ${site.object}`, cause: err });
  return transientError(`cannot reach webhook ${site.endpoint} for object "${site.object}" (${code ?? e?.message ?? 'network error'}); will retry`, { path: `object ${site.object}`, cause: err });
}

/**
 * A receiver's per-record reason, made safe to store: the record's own values are cut out
 * (receivers like to say "invalid email jane@example.com") and the length is bounded.
 */
export function safeReason(reason: unknown, fields: Record<string, unknown>, key: string): string {
  let text = typeof reason === 'string' && reason.trim() !== '' ? reason.trim() : 'no reason given by the receiver';
  const values = Object.values(fields).flatMap((v) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' ? [String(v)] : []));
  // An email's local part alone is still personal: cut both halves too.
  const needles = [key, ...values, ...values.flatMap((v) => (v.includes('@') ? v.split('@') : []))]
    .filter((s) => s.length >= 3)
    .sort((a, b) => b.length - a.length);
  for (const n of needles) text = text.split(n).join('…');
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}
