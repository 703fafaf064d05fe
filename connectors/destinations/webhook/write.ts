/**
 * ebb's webhook protocol, version 1.
 *
 * Request: `POST <url>` with
 * - `Content-Type: application/json`
 * - `Idempotency-Key: <batch idempotency key>`: the same on every retry of the same chunk, so a
 *   receiver can drop duplicates (applying the same batch twice must leave the same state).
 * - `X-Ebb-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the
 *   signing secret>`; receivers should refuse (401) a bad signature or a `t` far from now.
 * - any configured extra headers.
 *
 * Body: `{ "object", "idField", "idempotencyKey", "records": [{ "op", "key", "id", "fields" }] }`
 * where `op` is `upsert | update | insert | delete`, `key` is ebb's record key (the model's
 * primary key), `id = fields[idField]`, and a delete's `fields` holds only the identity.
 *
 * Response: any 2xx accepts the batch; an optional JSON body
 * `{ "results": [{ "key", "status": "ok" | "rejected" | "retryable", "reason"? }] }` reports
 * records that were not ok. Records missing from `results` are ok.
 * - 429, or 503 with `Retry-After` (seconds or an HTTP date): slow down; retried after that delay.
 * - 408 and other 5xx, timeouts and network errors: retried with exponential backoff.
 * - 401/403: credentials refused (auth); 404: wrong URL or object (config); other 4xx: the batch
 *   as a whole is refused (data). None of these is retried.
 *
 * A write tries up to `maxAttempts` times, waiting at most 30 s at a time; then it throws
 * (`rateLimit` with the receiver's delay, or `transient`) so the activity's retry policy takes
 * over. A delay longer than 30 s is not slept through here: it is thrown at once, for Temporal
 * to wait out without holding the worker.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isEbbError, type EbbError } from '../../../domain/errors';
import type { RowResult, WriteBatch, WriteResult } from '../../types';
import { postSigned, type WebhookResponse } from './client';
import { endpointOf, isRetryableStatus, networkError, parseRetryAfter, safeReason, statusError } from './errors';

/** The longest single wait inside one write. */
export const MAX_WAIT_MS = 30_000;

/** What a write needs, with secrets already resolved. */
export interface WebhookTarget {
  url: string;
  secret: string;
  headers: Record<string, string>;
  timeoutMs: number;
  maxAttempts: number;
}

/** Sends one batch; see the module comment for the protocol. */
export async function writeBatch(target: WebhookTarget, batch: WriteBatch): Promise<WriteResult> {
  if (batch.records.length === 0) return { results: [] };
  const body = JSON.stringify(
    {
      object: batch.object,
      idField: batch.idField,
      idempotencyKey: batch.idempotencyKey,
      records: batch.records.map((r) => ({ op: r.op, key: r.key, id: r.fields[batch.idField] ?? null, fields: r.fields })),
    },
    (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
  );
  const res = await send(target, batch.object, batch.idempotencyKey, body, target.maxAttempts);
  return { results: rowResults(batch, res.body), retryAfterMs: parseRetryAfter(res.retryAfter) };
}

/** POSTs `body` until a 2xx, retrying what is worth retrying; throws the last failure as an {@link EbbError}. */
export async function send(target: WebhookTarget, object: string, idempotencyKey: string, body: string, maxAttempts: number): Promise<WebhookResponse> {
  const site = { endpoint: endpointOf(target.url), object };
  for (let attempt = 1; ; attempt++) {
    const res = await postSigned({ url: target.url, body, secret: target.secret, idempotencyKey, headers: target.headers, timeoutMs: target.timeoutMs }).catch(
      (err: unknown) => networkError(err, site, target.timeoutMs),
    );
    let failure: EbbError;
    let waitMs: number;
    if (isEbbError(res)) {
      failure = res;
      waitMs = backoffMs(attempt);
      if (failure.kind !== 'transient') throw failure;
    } else {
      if (res.status >= 200 && res.status < 300) return res;
      const retryAfterMs = res.status === 429 || res.status === 503 ? parseRetryAfter(res.retryAfter) : undefined;
      waitMs = retryAfterMs ?? backoffMs(attempt);
      // A 429 without Retry-After still tells the activity retry how long to back off.
      failure = statusError(res.status, site, res.status === 429 ? waitMs : retryAfterMs);
      if (!isRetryableStatus(res.status)) throw failure;
    }
    if (attempt >= maxAttempts || waitMs > MAX_WAIT_MS) throw failure;
    await sleep(waitMs);
  }
}

/** Exponential backoff with ±20% jitter: 0.5 s, 1 s, 2 s… capped at {@link MAX_WAIT_MS}. */
function backoffMs(attempt: number): number {
  return Math.min(MAX_WAIT_MS, Math.round(500 * 2 ** (attempt - 1) * (0.8 + Math.random() * 0.4)));
}

/** One result per record from a 2xx body; anything not reported (or no JSON at all) is ok. */
function rowResults(batch: WriteBatch, body: string): RowResult[] {
  const reported = new Map<string, { status?: unknown; reason?: unknown }>();
  try {
    const parsed = JSON.parse(body) as { results?: unknown };
    if (Array.isArray(parsed?.results)) {
      for (const r of parsed.results as { key?: unknown; status?: unknown; reason?: unknown }[]) if (typeof r?.key === 'string') reported.set(r.key, r);
    }
  } catch {
    // A 2xx without a JSON body accepts every record.
  }
  return batch.records.map((rec): RowResult => {
    const r = reported.get(rec.key);
    if (!r || r.status === 'ok') return { seq: rec.seq, status: 'ok' };
    if (r.status === 'rejected') return { seq: rec.seq, status: 'rejected', reason: safeReason(r.reason, rec.fields, rec.key) };
    if (r.status === 'retryable') return { seq: rec.seq, status: 'retryable', reason: safeReason(r.reason, rec.fields, rec.key) };
    return { seq: rec.seq, status: 'retryable', reason: 'the receiver answered an unknown status for this record' };
  });
}
