/**
 * One Bulk API 2.0 ingest job for a large batch, step by step through jsforce's IngestJobV2 so
 * each request goes through the call policy (budget, usage, retries where safe): create the
 * job, upload the CSV, close it, poll until JobComplete, then read the successful and failed
 * result files. Result files come in no particular order, so rows are matched back to their
 * records by the external id (upsert) or the Id (update) column.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Schema } from 'jsforce';
import type { IngestJobV2 } from 'jsforce/lib/api/bulk2';
import { configError, transientError } from '../../../domain/errors';
import type { RecordWrite, RowResult } from '../../types';
import type { SalesforceApi } from './client';
import type { SObjectField } from './describe-check';
import { isRetryableRecord, parseBulkError, recordReason } from './errors';
import { toCsvValue } from './values';

/** How a job is waited on. */
export interface BulkPolling {
  pollIntervalMs: number;
  timeoutMs: number;
}

/** What one job writes: upserts match on `idField`; updates carry the Id each record resolved to. */
export type BulkIngest =
  | { operation: 'upsert'; records: readonly RecordWrite[] }
  | { operation: 'update'; records: ReadonlyArray<{ record: RecordWrite; id: string }> };

type Row = Record<string, string | undefined>;

/** Runs one job and returns a result per record. Throws when the job as a whole fails. */
export async function bulkIngest(api: SalesforceApi, object: string, idField: string, ingest: BulkIngest, describe: ReadonlyMap<string, SObjectField>, polling: BulkPolling): Promise<RowResult[]> {
  const entries = ingest.operation === 'upsert' ? ingest.records.map((record) => ({ record, id: undefined })) : ingest.records;
  const rows = toCsvRows(entries.map(({ record, id }) => {
    const fields: Record<string, unknown> = { ...record.fields };
    if (id !== undefined) {
      // An update matches on Id; the external id already matched and is not rewritten.
      delete fields[idField];
      return { Id: id, ...fields };
    }
    return fields;
  }), describe);
  const job = api.conn.bulk2.createJob({ object, operation: ingest.operation, lineEnding: 'LF', ...(ingest.operation === 'upsert' ? { externalIdFieldName: idField } : {}) });
  // Creating, uploading and closing are not repeated blindly: a retry of the batch makes a new job.
  await api.call(object, () => job.open(), { idempotent: false });
  try {
    await api.call(object, () => job.uploadData(rows), { idempotent: false });
    await api.call(object, () => job.close(), { idempotent: false });
    await waitForJob(api, object, job, polling);
  } catch (err) {
    await job.abort().catch(() => undefined);
    throw err;
  }
  const ok = (await api.call(object, () => job.getSuccessfulResults())) as unknown as Row[];
  const failed = (await api.call(object, () => job.getFailedResults())) as unknown as Row[];

  const keyOf = (row: Row) => (ingest.operation === 'upsert' ? (row[idField] ?? '').toLowerCase() : (row.Id || row.sf__Id || ''));
  const done = new Map<string, Row | 'ok'>();
  for (const row of ok) done.set(keyOf(row), 'ok');
  for (const row of failed) done.set(keyOf(row), row);
  return entries.map(({ record, id }): RowResult => {
    const d = done.get(id ?? String(toCsvValue(record.fields[idField], describe.get(idField)) ?? '').toLowerCase());
    if (d === 'ok') return { seq: record.seq, status: 'ok' };
    if (d === undefined) return { seq: record.seq, status: 'retryable', reason: `the Bulk API job ${job.id} did not process this record` };
    const errors = parseBulkError(d.sf__Error ?? '');
    const reason = recordReason(errors, record.fields);
    if (id !== undefined && errors.some((e) => e.statusCode === 'ENTITY_IS_DELETED' || e.statusCode === 'INVALID_CROSS_REFERENCE_KEY')) {
      return { seq: record.seq, status: 'rejected', reason: `the ${object} with this ${idField} was deleted meanwhile; update mode never creates records` };
    }
    return isRetryableRecord(errors) ? { seq: record.seq, status: 'retryable', reason } : { seq: record.seq, status: 'rejected', reason };
  });
}

/** Polls until JobComplete, slowing down on long jobs; throws on Failed, Aborted or timeout. */
async function waitForJob(api: SalesforceApi, object: string, job: IngestJobV2<Schema>, polling: BulkPolling): Promise<void> {
  const deadline = Date.now() + polling.timeoutMs;
  let interval = polling.pollIntervalMs;
  for (;;) {
    const info = await api.call(object, () => job.check());
    if (info.state === 'JobComplete') return;
    const said = (info.errorMessage ?? 'no error message').slice(0, 300);
    if (info.state === 'Failed') {
      // A malformed job (bad header, bad object) fails the same way every time; anything else may not.
      const make = /Invalid(Batch|Job)|ClientInputError|not found/i.test(said) ? configError : transientError;
      throw make(`Salesforce ${object}: the Bulk API 2.0 job ${job.id} failed (${said}); check the mapping's fields against the object`, { path: `object ${object}` });
    }
    if (info.state === 'Aborted') throw transientError(`Salesforce ${object}: the Bulk API 2.0 job ${job.id} was aborted in the org; the batch will be written again`, { path: `object ${object}` });
    if (Date.now() + interval > deadline) {
      throw transientError(`Salesforce ${object}: the Bulk API 2.0 job ${job.id} was still ${info.state} after ${Math.round(polling.timeoutMs / 1000)} s; it was aborted and the batch will be written again (raise bulkTimeoutMs for very large batches)`, { path: `object ${object}` });
    }
    await sleep(interval);
    interval = Math.min(interval * 1.5, polling.pollIntervalMs * 5);
  }
}

/**
 * Records with the same columns, in the same order: jsforce's CSV writer takes its header from
 * the first record. A field a record lacks is an empty cell, which Bulk API leaves unchanged.
 */
function toCsvRows(records: ReadonlyArray<Record<string, unknown>>, describe: ReadonlyMap<string, SObjectField>): Array<Record<string, string | null | undefined>> {
  const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
  return records.map((r) => Object.fromEntries(columns.map((c) => [c, c in r ? toCsvValue(r[c], describe.get(c)) : undefined])));
}
