/**
 * sObject Collections, 200 records a call with `allOrNone: false`, so each record gets its own
 * result: upsert by external id (`PATCH /composite/sobjects/{object}/{idField}`), update by Id
 * (`PATCH /composite/sobjects`: never creates) and delete by Id (`DELETE /composite/sobjects`).
 */
import type { RecordWrite, RowResult } from '../../types';
import type { SalesforceApi } from './client';
import type { SObjectField } from './describe-check';
import { isRetryableRecord, recordReason, type RecordError } from './errors';
import { toSObject } from './values';

/** Salesforce's cap on records per sObject Collections call. */
export const COLLECTION_LIMIT = 200;

/** A per-record save result, as Collections return it. */
interface SaveResult {
  id?: string;
  success: boolean;
  errors?: RecordError[];
}

/** A record and the Id its external id resolved to. */
export interface Resolved {
  record: RecordWrite;
  id: string;
}

const GONE = new Set(['ENTITY_IS_DELETED', 'INVALID_CROSS_REFERENCE_KEY']);

/** Upserts records by external id. */
export async function upsertRecords(api: SalesforceApi, object: string, idField: string, records: readonly RecordWrite[], describe: ReadonlyMap<string, SObjectField>): Promise<RowResult[]> {
  const out: RowResult[] = [];
  for (const part of chunks(records)) {
    const saved = await api.call(object, (c) => c.sobject(object).upsert(part.map((r) => toSObject(r.fields, describe)), idField, { allOrNone: false }) as Promise<SaveResult[]>);
    part.forEach((r, n) => out.push(outcome(r, saved[n])));
  }
  return out;
}

/** Updates records by Id; one deleted since it was looked up is rejected, never recreated. */
export async function updateRecords(api: SalesforceApi, object: string, idField: string, rows: readonly Resolved[], describe: ReadonlyMap<string, SObjectField>): Promise<RowResult[]> {
  const out: RowResult[] = [];
  for (const part of chunks(rows)) {
    const body = part.map(({ record, id }) => {
      // The external id matched already; it is not rewritten.
      const { [idField]: _matched, ...fields } = toSObject(record.fields, describe);
      return { Id: id, ...fields };
    });
    const saved = await api.call(object, (c) => c.sobject(object).update(body, { allOrNone: false }) as Promise<SaveResult[]>);
    part.forEach(({ record }, n) => {
      const s = saved[n];
      out.push(
        s?.errors?.some((e) => GONE.has(e.statusCode ?? ''))
          ? { seq: record.seq, status: 'rejected', reason: `the ${object} with this ${idField} was deleted meanwhile; update mode never creates records` }
          : outcome(record, s),
      );
    });
  }
  return out;
}

/** Deletes records by Id; one already gone counts as deleted. */
export async function deleteRecords(api: SalesforceApi, object: string, rows: readonly Resolved[]): Promise<RowResult[]> {
  const out: RowResult[] = [];
  for (const part of chunks(rows)) {
    const done = await api.call(object, (c) => c.sobject(object).destroy(part.map((r) => r.id), { allOrNone: false }) as Promise<SaveResult[]>);
    part.forEach(({ record }, n) => {
      const d = done[n];
      out.push(d?.errors?.some((e) => GONE.has(e.statusCode ?? '')) ? { seq: record.seq, status: 'ok' } : outcome(record, d));
    });
  }
  return out;
}

/** One record's save result as its {@link RowResult}. */
function outcome(r: RecordWrite, s: SaveResult | undefined): RowResult {
  if (!s) return { seq: r.seq, status: 'retryable', reason: 'Salesforce returned no result for this record' };
  if (s.success) return { seq: r.seq, status: 'ok' };
  const reason = recordReason(s.errors, r.fields);
  return isRetryableRecord(s.errors) ? { seq: r.seq, status: 'retryable', reason } : { seq: r.seq, status: 'rejected', reason };
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += COLLECTION_LIMIT) out.push(items.slice(i, i + COLLECTION_LIMIT));
  return out;
}
