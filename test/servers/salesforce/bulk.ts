/**
 * Bulk API 2.0 ingest, the six routes: create a job, upload its CSV, close it (UploadComplete),
 * poll it (InProgress, then JobComplete), and read its successful, failed and unprocessed
 * records as CSV (`sf__Id`, `sf__Created` / `sf__Error`, then the uploaded columns), in no
 * particular order (as documented, so clients must match rows by their own columns); plus abort
 * and delete. Records are saved with the same rules as sObject Collections. A CSV header naming
 * a field the object lacks fails the whole job, as Salesforce does.
 */
import { randomBytes } from 'node:crypto';
import { sfErrors, type Reply } from './collections';
import { parseCsv, writeCsv } from './csv';
import type { SObjectType } from './sobjects';

interface Job {
  id: string;
  object: string;
  operation: 'insert' | 'upsert' | 'update' | 'delete';
  externalIdFieldName?: string;
  state: 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Aborted' | 'Failed';
  errorMessage?: string;
  csv: string;
  polls: number;
  ok: string[][];
  failed: string[][];
  header: string[];
}

/** The org's ingest jobs. */
export class BulkJobs {
  private readonly jobs = new Map<string, Job>();
  constructor(
    private readonly objects: Map<string, SObjectType>,
    /** Polls that still see a closed job InProgress before it is JobComplete. */
    private readonly pollsInProgress = 1,
  ) {}

  /** Jobs by state, for tests. */
  states(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const j of this.jobs.values()) out[j.state] = (out[j.state] ?? 0) + 1;
    return out;
  }

  /** Handles `…/jobs/ingest{path}`. */
  handle(method: string, path: string, raw: string): Reply {
    const err = sfErrors;
    if (path === '' && method === 'POST') {
      const b = JSON.parse(raw) as { object: string; operation: Job['operation']; externalIdFieldName?: string };
      const type = this.objects.get(b.object);
      if (!type) return err(400, 'INVALIDENTITY', `Entity '${b.object}' is not supported by the Bulk API.`);
      if (!['insert', 'upsert', 'update', 'delete'].includes(b.operation)) return err(400, 'INVALIDJOB', `InvalidJob : Invalid operation: ${String(b.operation)}`);
      if (b.operation === 'upsert' && !type.fields.get(b.externalIdFieldName ?? '')?.externalId) return err(400, 'INVALIDJOB', `InvalidJob : External ID field ${b.externalIdFieldName} is not valid for ${b.object}`);
      const job: Job = { id: `750${randomBytes(6).toString('hex').slice(0, 12)}`, object: b.object, operation: b.operation, externalIdFieldName: b.externalIdFieldName, state: 'Open', csv: '', polls: 0, ok: [], failed: [], header: [] };
      this.jobs.set(job.id, job);
      return { status: 200, body: this.info(job) };
    }
    const m = /^\/([^/]+)(\/(batches|successfulResults|failedResults|unprocessedrecords))?$/.exec(path);
    const job = m ? this.jobs.get(m[1]) : undefined;
    if (!m || !job) return err(404, 'NOT_FOUND', 'The requested resource does not exist');
    const sub = m[3];
    if (sub === 'batches' && method === 'PUT') {
      if (job.state !== 'Open') return err(400, 'INVALIDJOBSTATE', `Job is not open for upload: ${job.state}`);
      job.csv += raw;
      return { status: 201, body: undefined };
    }
    if (!sub && method === 'PATCH') {
      const b = JSON.parse(raw) as { state: string };
      if (b.state === 'UploadComplete') {
        job.state = 'UploadComplete';
        this.process(job);
      } else if (b.state === 'Aborted') {
        if (job.state === 'JobComplete' || job.state === 'Failed' || job.state === 'Aborted') return err(400, 'INVALIDJOBSTATE', `Job ${job.id} is already ${job.state}`);
        job.state = 'Aborted';
      } else return err(400, 'INVALIDJOBSTATE', `Invalid state: ${b.state}`);
      return { status: 200, body: this.info(job) };
    }
    if (!sub && method === 'GET') {
      // The first poll sees the job running; the next ones see it done.
      if (job.state === 'UploadComplete') job.state = 'InProgress';
      else if (job.state === 'InProgress' && ++job.polls >= this.pollsInProgress) job.state = job.errorMessage ? 'Failed' : 'JobComplete';
      return { status: 200, body: this.info(job) };
    }
    if (!sub && method === 'DELETE') {
      this.jobs.delete(job.id);
      return { status: 204, body: undefined };
    }
    if (job.state !== 'JobComplete' && job.state !== 'Failed' && job.state !== 'Aborted') return err(400, 'INVALIDJOBSTATE', `Job ${job.id} is not complete: ${job.state}`);
    // Result files come in no particular order: reversed here, so clients must match rows by their columns.
    const csv = (rows: string[][], head: string[]) => ({ status: 200, body: writeCsv([[...head, ...job.header], ...[...rows].reverse()]), type: 'text/csv' });
    if (sub === 'successfulResults') return csv(job.ok, ['sf__Id', 'sf__Created']);
    if (sub === 'failedResults') return csv(job.failed, ['sf__Id', 'sf__Error']);
    if (sub === 'unprocessedrecords') {
      // An aborted or failed job never processed its rows: they are all unprocessed.
      const rows = job.state === 'JobComplete' ? [] : parseCsv(job.csv).slice(1).filter((r) => r.length > 1 || r[0] !== '');
      return { status: 200, body: writeCsv([job.header.length ? job.header : (parseCsv(job.csv)[0] ?? []), ...rows]), type: 'text/csv' };
    }
    return err(405, 'METHOD_NOT_ALLOWED', `${method} not allowed`);
  }

  private process(job: Job): void {
    const type = this.objects.get(job.object)!;
    const [header, ...rows] = parseCsv(job.csv).filter((r) => r.length > 1 || r[0] !== '');
    const unknown = (header ?? []).find((h) => !type.fields.has(h));
    if (unknown !== undefined) {
      job.errorMessage = `InvalidBatch : Field name not found : ${unknown}`;
      return;
    }
    job.header = header ?? [];
    for (const row of rows) {
      // '#N/A' is Bulk's null.
      const values = Object.fromEntries(job.header.map((h, i) => [h, row[i] === '#N/A' ? null : row[i] === '' ? undefined : row[i]]).filter(([, v]) => v !== undefined));
      const byId = job.operation === 'update' || job.operation === 'delete';
      const key = byId ? values.Id : job.externalIdFieldName ? values[job.externalIdFieldName] : undefined;
      const existing = key === undefined || key === null ? undefined : type.findBy(byId ? 'Id' : job.externalIdFieldName!, key);
      if (byId && !existing) {
        const gone = type.deleted.has(String(key));
        job.failed.push([String(key ?? ''), gone ? 'ENTITY_IS_DELETED:entity is deleted:--' : 'INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--', ...row]);
        continue;
      }
      if (job.operation === 'delete') {
        type.remove(String(existing!.Id));
        job.ok.push([String(existing!.Id), 'false', ...row]);
        continue;
      }
      delete values.Id;
      const errors = type.validate(values, !existing, existing);
      if (errors.length) {
        // Salesforce's sf__Error: "STATUS_CODE:message:field --".
        job.failed.push([existing ? String(existing.Id) : '', errors.map((e) => `${e.statusCode}:${e.message}:${e.fields.join(',')} --`).join(';'), ...row]);
        continue;
      }
      const saved = type.save(values, existing);
      job.ok.push([String(saved.Id), existing ? 'false' : 'true', ...row]);
    }
  }

  private info(job: Job) {
    return {
      id: job.id,
      operation: job.operation,
      object: job.object,
      createdById: '005000000000001',
      state: job.state,
      externalIdFieldName: job.externalIdFieldName,
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: 62.0,
      jobType: 'V2Ingest',
      lineEnding: 'LF',
      columnDelimiter: 'COMMA',
      numberRecordsProcessed: job.state === 'JobComplete' ? job.ok.length + job.failed.length : 0,
      numberRecordsFailed: job.state === 'JobComplete' ? job.failed.length : 0,
      ...(job.state === 'Failed' ? { errorMessage: job.errorMessage } : {}),
    };
  }
}
