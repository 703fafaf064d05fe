/**
 * Writing a batch to Salesforce. Upserts match on the external id; batches of at least
 * `bulkThreshold` go through one Bulk API 2.0 job, smaller ones through sObject Collections.
 * Update-only rows are looked up by external id first and updated by Id, so a record that does
 * not exist is rejected, never created. Deletes (mirror) resolve external ids to Ids and delete
 * through Collections; a record already gone counts as deleted. Every record gets its own
 * outcome, with Salesforce's status code, fields and message (the row's values cut out).
 */
import type { ReadBackRequest, RecordWrite, RowResult, WriteBatch, WriteResult } from '../../types';
import { bulkIngest, type BulkPolling } from './bulk';
import type { SalesforceApi } from './client';
import { deleteRecords, updateRecords, upsertRecords, type Resolved } from './collections';
import type { SObjectField } from './describe-check';
import { idsByExternalId, selectByExternalId } from './soql';

/** How batches are routed. */
export interface WriteOptions extends BulkPolling {
  bulkThreshold: number;
}

/** Writes one batch, whose mapping was verified against `describe`; see the module comment. */
export async function writeBatch(api: SalesforceApi, batch: WriteBatch, describe: ReadonlyMap<string, SObjectField>, o: WriteOptions): Promise<WriteResult> {
  const { object, idField } = batch;
  const results = new Map<number, RowResult>();
  const put = (rs: readonly RowResult[]) => rs.forEach((r) => results.set(r.seq, r));
  const ext = (r: RecordWrite) => {
    const v = r.fields[idField];
    return v === null || v === undefined || v === '' ? undefined : String(v instanceof Date ? v.toISOString() : v);
  };
  const usable = batch.records.filter((r) => {
    if (ext(r) !== undefined) return true;
    results.set(r.seq, { seq: r.seq, status: 'rejected', reason: `no value for the external id ${idField}` });
    return false;
  });
  // Inserts are upserts too: a retried batch must not create the same record twice.
  const upserts = usable.filter((r) => r.op === 'upsert' || r.op === 'insert');
  const updates = usable.filter((r) => r.op === 'update');
  const deletes = usable.filter((r) => r.op === 'delete');

  if (upserts.length >= o.bulkThreshold) put(await bulkIngest(api, object, idField, { operation: 'upsert', records: upserts }, describe, o));
  else if (upserts.length) put(await upsertRecords(api, object, idField, upserts, describe));

  if (updates.length) {
    const found = await resolve(api, batch, updates, ext);
    const held = new Set(found.map((f) => f.record));
    for (const r of updates) {
      if (!held.has(r)) results.set(r.seq, { seq: r.seq, status: 'rejected', reason: `no ${object} has this ${idField}; update mode never creates records` });
    }
    if (found.length >= o.bulkThreshold) put(await bulkIngest(api, object, idField, { operation: 'update', records: found }, describe, o));
    else if (found.length) put(await updateRecords(api, object, idField, found, describe));
  }

  if (deletes.length) {
    const found = await resolve(api, batch, deletes, ext);
    const held = new Set(found.map((f) => f.record));
    // Records already gone are as good as deleted.
    for (const r of deletes) if (!held.has(r)) results.set(r.seq, { seq: r.seq, status: 'ok' });
    if (found.length) put(await deleteRecords(api, object, found));
  }
  return { results: batch.records.map((r) => results.get(r.seq) ?? { seq: r.seq, status: 'retryable', reason: 'Salesforce returned no result for this record' }) };
}

/** The records whose external id exists in the org, with their Ids. */
async function resolve(api: SalesforceApi, batch: WriteBatch, records: readonly RecordWrite[], ext: (r: RecordWrite) => string | undefined): Promise<Resolved[]> {
  const ids = await idsByExternalId(api, batch.object, batch.idField, records.map((r) => ext(r)!));
  return records.flatMap((record) => {
    const id = ids.get(ext(record)!.toLowerCase());
    return id ? [{ record, id }] : [];
  });
}

/** {@link Destination.readBack} for Salesforce: SOQL on the external id; absent ids are left out. */
export async function readBack(api: SalesforceApi, req: ReadBackRequest): Promise<Map<string, Record<string, unknown>>> {
  const held = await selectByExternalId(api, req.object, req.idField, req.ids, req.fields);
  const out = new Map<string, Record<string, unknown>>();
  for (const id of req.ids) {
    const r = held.get(id.toLowerCase());
    if (r) out.set(id, Object.fromEntries(req.fields.map((f) => [f, r[f] ?? null])));
  }
  return out;
}
