/**
 * Writing a batch to HubSpot: upserts by the sync's identity property (`idProperty`), 100 inputs
 * a call; a 207 split into per-row outcomes; a 409 (a unique value another record holds refuses
 * the whole call) isolated by bisecting, so one bad row never fails its neighbours; update-only
 * rows checked for existence first; deletes archived by HubSpot id after a read by idProperty.
 */
import type { Client } from '@hubspot/api-client';
import type { ReadBackRequest, RecordWrite, RowResult, WriteBatch, WriteResult } from '../../types';
import type { HubSpotApi } from './client';
import { bodyOf, isApiFailure } from './errors';

/** HubSpot's cap on inputs per batch call. */
export const HUBSPOT_BATCH_LIMIT = 100;

/** Writes one batch; see the module comment. */
export async function writeBatch(api: HubSpotApi, batch: WriteBatch): Promise<WriteResult> {
  const results: RowResult[] = [];
  const idOf = (r: RecordWrite) => identity(r.fields[batch.idField]);
  const usable = batch.records.filter((r) => {
    if (idOf(r) !== undefined) return true;
    results.push({ seq: r.seq, status: 'rejected', reason: `no value for the identity property ${batch.idField}` });
    return false;
  });
  const upserts = usable.filter((r) => r.op === 'upsert' || r.op === 'insert');
  const updates = usable.filter((r) => r.op === 'update');
  const deletes = usable.filter((r) => r.op === 'delete');

  for (const part of chunks(upserts)) results.push(...(await upsertIsolating(api, batch, part)));
  for (const part of chunks(updates)) {
    const held = await readByIdProperty(api, batch.object, batch.idField, part.map((r) => idOf(r)!), []);
    const existing = part.filter((r) => held.has(idOf(r)!));
    for (const r of part) {
      if (!held.has(idOf(r)!)) results.push({ seq: r.seq, status: 'rejected', reason: `no ${batch.object} record has this ${batch.idField}; update mode never creates records` });
    }
    if (existing.length) results.push(...(await upsertIsolating(api, batch, existing)));
  }
  for (const part of chunks(deletes)) {
    const held = await readByIdProperty(api, batch.object, batch.idField, part.map((r) => idOf(r)!), []);
    const ids = part.map((r) => held.get(idOf(r)!)?.hs_object_id).filter((id): id is string => typeof id === 'string');
    if (ids.length) await api.call(batch.object, (c) => c.crm.objects.batchApi.archive(batch.object, { inputs: ids.map((id) => ({ id })) }));
    // Records already gone are as good as deleted.
    for (const r of part) results.push({ seq: r.seq, status: 'ok' });
  }
  // In the batch's order, whatever order the calls went in.
  const bySeq = new Map(results.map((r) => [r.seq, r]));
  return { results: batch.records.map((r) => bySeq.get(r.seq) ?? { seq: r.seq, status: 'retryable', reason: 'no result was recorded for this record' }) };
}

/** Upserts up to 100 records; on 409 splits the call in halves until the conflicting record is alone. */
async function upsertIsolating(api: HubSpotApi, batch: WriteBatch, records: RecordWrite[]): Promise<RowResult[]> {
  try {
    return await upsert(api, batch, records);
  } catch (err) {
    if (!isApiFailure(err) || err.code !== 409) throw err;
    if (records.length === 1) {
      const b = bodyOf(err);
      return [{ seq: records[0].seq, status: 'rejected', reason: `HubSpot ${b.category ?? 'CONFLICT'}: ${b.message ?? 'a unique property value belongs to another record'}` }];
    }
    const mid = Math.ceil(records.length / 2);
    return [...(await upsertIsolating(api, batch, records.slice(0, mid))), ...(await upsertIsolating(api, batch, records.slice(mid)))];
  }
}

async function upsert(api: HubSpotApi, batch: WriteBatch, records: RecordWrite[]): Promise<RowResult[]> {
  const inputs = records.map((r) => ({ id: identity(r.fields[batch.idField])!, idProperty: batch.idField, properties: toProperties(r.fields, batch.idField) }));
  const info = await api.call(batch.object, (c: Client) => c.crm.objects.batchApi.upsertWithHttpInfo(batch.object, { inputs }), [409]);
  const data = info.data as { results?: Array<{ properties?: Record<string, string | null> }>; errors?: Array<{ category?: string; message?: string; context?: Record<string, unknown> }> };
  const ok = new Set((data.results ?? []).map((r) => String(r.properties?.[batch.idField] ?? '')));
  const failed = new Map<string, string>();
  const unattributed: string[] = [];
  for (const e of data.errors ?? []) {
    const ids = (e.context?.ids as string[] | undefined) ?? [];
    if (ids.length === 0) unattributed.push(reasonOf(e));
    for (const id of ids) failed.set(String(id), reasonOf(e));
  }
  return records.map((r, i): RowResult => {
    const id = inputs[i].id;
    const reason = failed.get(id);
    if (reason) return { seq: r.seq, status: 'rejected', reason };
    if (ok.has(id)) return { seq: r.seq, status: 'ok' };
    if (unattributed.length) return { seq: r.seq, status: 'rejected', reason: unattributed[0] };
    return { seq: r.seq, status: 'retryable', reason: 'HubSpot returned no result for this record' };
  });
}

/** Reads `properties` of records by idProperty; the map goes from identity value to properties (with `hs_object_id`). */
export async function readByIdProperty(api: HubSpotApi, objectType: string, idProperty: string, ids: readonly string[], properties: readonly string[]): Promise<Map<string, Record<string, string | null>>> {
  const out = new Map<string, Record<string, string | null>>();
  for (const part of chunks([...ids])) {
    const info = await api.call(objectType, (c) =>
      c.crm.objects.batchApi.readWithHttpInfo(objectType, { idProperty, inputs: part.map((id) => ({ id })), properties: [...new Set([...properties, idProperty])], propertiesWithHistory: [] }),
    );
    for (const r of info.data.results ?? []) {
      const props = r.properties as Record<string, string | null>;
      const key = props[idProperty];
      if (key !== null && key !== undefined) out.set(String(key), { ...props, hs_object_id: r.id });
    }
  }
  return out;
}

/** {@link Destination.readBack} for HubSpot: the `fields` of the records whose idProperty is one of `ids`. */
export async function readBack(api: HubSpotApi, req: ReadBackRequest): Promise<Map<string, Record<string, unknown>>> {
  const held = await readByIdProperty(api, req.object, req.idField, req.ids, req.fields);
  const out = new Map<string, Record<string, unknown>>();
  for (const [id, props] of held) out.set(id, Object.fromEntries(req.fields.map((f) => [f, props[f] ?? null])));
  return out;
}

/**
 * A per-input error as a reason, without the row's values: HubSpot's validation messages quote
 * the offending value, so only the category, the property names and error codes are kept.
 */
export function reasonOf(e: { category?: string; message?: string }): string {
  const category = e.category ?? 'ERROR';
  const json = e.message?.indexOf('[') ?? -1;
  if (e.message && json >= 0) {
    try {
      const details = JSON.parse(e.message.slice(json)) as Array<{ name?: string; error?: string }>;
      const named = details.filter((d) => d.name).map((d) => `${d.name}${d.error ? ` (${d.error})` : ''}`);
      if (named.length) return `HubSpot ${category}: invalid value for ${named.join(', ')}`;
    } catch {
      // not the JSON list HubSpot usually sends: fall through
    }
  }
  return `HubSpot ${category} (the message is withheld: it may quote the record's values)`;
}

/** HubSpot takes property values as strings; null clears a property. */
function toProperties(fields: Record<string, unknown>, idField: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k === idField) continue;
    out[k] = v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

function identity(v: unknown): string | undefined {
  return v === null || v === undefined || v === '' ? undefined : String(v);
}

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += HUBSPOT_BATCH_LIMIT) out.push(items.slice(i, i + HUBSPOT_BATCH_LIMIT));
  return out;
}
