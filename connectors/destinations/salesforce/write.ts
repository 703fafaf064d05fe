/**
 * Writing a batch to Salesforce: upserts by external id through sObject Collections (200 a
 * call) for small batches and one Bulk API 2.0 ingest job for large ones (`bulkThreshold`);
 * update-only rows looked up by external id first (never created); deletes resolved to Ids and
 * destroyed through Collections. Every record gets its own outcome, with Salesforce's status
 * code and field names as the reason — never the record's values.
 */
import type { ReadBackRequest, RecordWrite, RowResult, WriteBatch, WriteResult } from '../../types';
import type { SalesforceApi } from './client';

/** Salesforce's cap on records per sObject Collections call (and SOQL IN lists we send). */
export const COLLECTION_LIMIT = 200;

/** A per-record save result, as Collections return it. */
interface SaveResult {
  id?: string;
  success: boolean;
  errors?: Array<{ statusCode?: string; message?: string; fields?: string[] }>;
}

/** Writes one batch; see the module comment. */
export async function writeBatch(api: SalesforceApi, batch: WriteBatch, bulkThreshold: number): Promise<WriteResult> {
  const results = new Map<number, RowResult>();
  const ext = (r: RecordWrite) => {
    const v = r.fields[batch.idField];
    return v === null || v === undefined || v === '' ? undefined : String(v);
  };
  const usable = batch.records.filter((r) => {
    if (ext(r) !== undefined) return true;
    results.set(r.seq, { seq: r.seq, status: 'rejected', reason: `no value for the external id ${batch.idField}` });
    return false;
  });
  let upserts = usable.filter((r) => r.op === 'upsert' || r.op === 'insert');
  const updates = usable.filter((r) => r.op === 'update');
  const deletes = usable.filter((r) => r.op === 'delete');

  if (updates.length) {
    const ids = await idsByExternalId(api, batch.object, batch.idField, updates.map((r) => ext(r)!));
    for (const r of updates) {
      if (!ids.has(ext(r)!.toLowerCase())) results.set(r.seq, { seq: r.seq, status: 'rejected', reason: `no ${batch.object} has this ${batch.idField}; update mode never creates records` });
    }
    upserts = [...upserts, ...updates.filter((r) => ids.has(ext(r)!.toLowerCase()))];
  }
  if (upserts.length >= bulkThreshold) for (const r of await bulkUpsert(api, batch, upserts)) results.set(r.seq, r);
  else {
    for (let i = 0; i < upserts.length; i += COLLECTION_LIMIT) {
      const part = upserts.slice(i, i + COLLECTION_LIMIT);
      const saved = await api.call(batch.object, (c) =>
        c.sobject(batch.object).upsert(part.map((r) => toSObject(r.fields)), batch.idField, { allOrNone: false }) as Promise<SaveResult[]>,
      );
      part.forEach((r, n) => results.set(r.seq, outcome(r.seq, saved[n])));
    }
  }
  if (deletes.length) {
    const ids = await idsByExternalId(api, batch.object, batch.idField, deletes.map((r) => ext(r)!));
    const targets = deletes.filter((r) => ids.has(ext(r)!.toLowerCase()));
    // Records already gone are as good as deleted.
    for (const r of deletes) if (!ids.has(ext(r)!.toLowerCase())) results.set(r.seq, { seq: r.seq, status: 'ok' });
    for (let i = 0; i < targets.length; i += COLLECTION_LIMIT) {
      const part = targets.slice(i, i + COLLECTION_LIMIT);
      const done = await api.call(batch.object, (c) => c.sobject(batch.object).destroy(part.map((r) => ids.get(ext(r)!.toLowerCase())!), { allOrNone: false }) as Promise<SaveResult[]>);
      part.forEach((r, n) => {
        const d = done[n];
        const gone = d?.errors?.some((e) => e.statusCode === 'ENTITY_IS_DELETED');
        results.set(r.seq, gone ? { seq: r.seq, status: 'ok' } : outcome(r.seq, d));
      });
    }
  }
  return { results: batch.records.map((r) => results.get(r.seq) ?? { seq: r.seq, status: 'retryable', reason: 'Salesforce returned no result for this record' }) };
}

/** One Bulk API 2.0 ingest job for the records; outcomes matched back by external id. */
async function bulkUpsert(api: SalesforceApi, batch: WriteBatch, records: RecordWrite[]): Promise<RowResult[]> {
  // A job costs about six calls: create, upload, close, a poll or two, and the results.
  const res = await api.call(
    batch.object,
    (c) =>
      c.bulk2.loadAndWaitForResults({
        object: batch.object,
        operation: 'upsert',
        externalIdFieldName: batch.idField,
        input: records.map((r) => toSObject(r.fields)),
        pollInterval: 250,
        pollTimeout: 30 * 60_000,
      }),
    6,
  );
  const key = (v: unknown) => String(v ?? '').toLowerCase();
  const done = new Map<string, RowResult['status'] | string>();
  for (const s of res.successfulResults as Array<Record<string, unknown>>) done.set(key(s[batch.idField]), 'ok');
  for (const f of res.failedResults as Array<Record<string, unknown>>) done.set(key(f[batch.idField]), bulkReason(String(f.sf__Error ?? '')));
  return records.map((r): RowResult => {
    const d = done.get(key(r.fields[batch.idField]));
    if (d === 'ok') return { seq: r.seq, status: 'ok' };
    if (d !== undefined) return { seq: r.seq, status: 'rejected', reason: d };
    return { seq: r.seq, status: 'retryable', reason: 'the Bulk API job did not process this record (unprocessed)' };
  });
}

/** Ids of records by external id (lowercased keys: Salesforce matches external ids case-insensitively). */
async function idsByExternalId(api: SalesforceApi, object: string, field: string, values: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [id, rec] of await selectByExternalId(api, object, field, values, ['Id'])) out.set(id, String(rec.Id));
  return out;
}

/** `SELECT fields FROM object WHERE field IN (…)`, 200 values a query; keyed by the lowercased external id. */
async function selectByExternalId(api: SalesforceApi, object: string, field: string, values: readonly string[], fields: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  const select = [...new Set([field, ...fields])].join(', ');
  for (let i = 0; i < values.length; i += COLLECTION_LIMIT) {
    const list = values.slice(i, i + COLLECTION_LIMIT).map(soqlString).join(', ');
    const soql = `SELECT ${select} FROM ${object} WHERE ${field} IN (${list})`;
    const res = await api.call(object, async (c) => (await c.query<Record<string, unknown>>(soql)) as { records: Record<string, unknown>[] });
    for (const r of res.records) out.set(String(r[field]).toLowerCase(), r);
  }
  return out;
}

/** {@link Destination.readBack} for Salesforce, by SOQL on the external id. */
export async function readBack(api: SalesforceApi, req: ReadBackRequest): Promise<Map<string, Record<string, unknown>>> {
  const held = await selectByExternalId(api, req.object, req.idField, req.ids, req.fields);
  const out = new Map<string, Record<string, unknown>>();
  for (const id of req.ids) {
    const r = held.get(id.toLowerCase());
    if (r) out.set(id, Object.fromEntries(req.fields.map((f) => [f, r[f] ?? null])));
  }
  return out;
}

function outcome(seq: number, r: SaveResult | undefined): RowResult {
  if (!r) return { seq, status: 'retryable', reason: 'Salesforce returned no result for this record' };
  if (r.success) return { seq, status: 'ok' };
  const e = r.errors?.[0];
  const transient = e?.statusCode === 'UNABLE_TO_LOCK_ROW';
  const reason = `Salesforce ${e?.statusCode ?? 'ERROR'}${e?.fields?.length ? ` on ${e.fields.join(', ')}` : ''}`;
  return transient ? { seq, status: 'retryable', reason } : { seq, status: 'rejected', reason };
}

/** Bulk's `sf__Error` ("STATUS_CODE:message:fields") as a value-free reason. */
export function bulkReason(sfError: string): string {
  const status = sfError.split(':')[0] || 'ERROR';
  const fields = sfError.slice(sfError.lastIndexOf(':') + 1).trim();
  return `Salesforce ${status}${fields && fields !== '--' && /^[\w, ]+$/.test(fields) ? ` on ${fields}` : ''}`;
}

/** Salesforce takes JSON values as they are; dates as ISO strings, empty strings as null. */
function toSObject(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = v instanceof Date ? v.toISOString() : v === '' || v === undefined ? null : v;
  return out;
}

/** A SOQL string literal. */
function soqlString(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
