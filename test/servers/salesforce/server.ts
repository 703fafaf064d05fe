/**
 * A local Salesforce REST API for tests, driven by the real jsforce. It speaks the routes jsforce
 * calls and enforces Salesforce's documented rules: sObject Collections of at most 200 records
 * with per-record results (allOrNone false), the save rules in ./sobjects.ts, SOQL for
 * `SELECT … FROM … WHERE field IN (…)`, the six Bulk API 2.0 ingest routes with CSV results, the
 * daily API allocation reported in `Sforce-Limit-Info` and refused with REQUEST_LIMIT_EXCEEDED,
 * and Bearer-token auth (401 INVALID_SESSION_ID).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BulkJobs } from './bulk';
import { runSoql } from './soql';
import { SObjectType, type SfField } from './sobjects';

/** Salesforce's cap on records per sObject Collections call. */
export const MAX_COLLECTION = 200;

/** Options of {@link startSalesforceServer}. */
export interface SalesforceServerOptions {
  token: string;
  /** API calls allowed per 24 h (default 15,000, a Developer Edition org). */
  dailyApiLimit?: number;
  /** sObject types beyond Contact and Account. */
  objects?: Record<string, { keyPrefix: string; fields: SfField[] }>;
}

/** A running server. */
export interface SalesforceServer {
  url: string;
  objects: Map<string, SObjectType>;
  /** REST calls counted against the daily allocation, and calls by route. */
  apiUsage(): number;
  calls: Record<string, number>;
  maxCollectionSeen: number;
  /** Records of `type` by the value of `field`, without system fields. */
  contents(type: string, field: string): Map<string, Record<string, unknown>>;
  close(): Promise<void>;
}

const STANDARD: Record<string, { keyPrefix: string; fields: SfField[] }> = {
  Contact: {
    keyPrefix: '003',
    fields: [
      { name: 'LastName', type: 'string', length: 80, nillable: false },
      { name: 'FirstName', type: 'string', length: 40 },
      { name: 'Email', type: 'email', length: 80 },
      { name: 'Ebb_Id__c', type: 'string', length: 64, externalId: true, unique: true },
      { name: 'Lifecycle__c', type: 'picklist', length: 40 },
      { name: 'Score__c', type: 'double' },
      { name: 'Name', type: 'string', length: 121, createable: false, updateable: false },
    ],
  },
  Account: {
    keyPrefix: '001',
    fields: [
      { name: 'Name', type: 'string', length: 255, nillable: false },
      { name: 'Ebb_Account_Id__c', type: 'string', length: 64, externalId: true, unique: true },
      { name: 'Industry', type: 'picklist', length: 40 },
    ],
  },
};

const SYSTEM = new Set(['Id', 'CreatedDate', 'LastModifiedDate', 'attributes']);

/** Starts the server on a free local port. */
export async function startSalesforceServer(o: SalesforceServerOptions): Promise<SalesforceServer> {
  const objects = new Map<string, SObjectType>();
  for (const [name, d] of Object.entries({ ...STANDARD, ...(o.objects ?? {}) })) objects.set(name, new SObjectType(name, d.keyPrefix, d.fields));
  const limit = o.dailyApiLimit ?? 15_000;
  let used = 0;
  let maxCollectionSeen = 0;
  const calls: Record<string, number> = {};
  const bulk = new BulkJobs(objects);

  const sfErrors = (status: number, errorCode: string, message: string) => ({ status, body: [{ message, errorCode }] });
  const typeOf = (name: string) => objects.get(name);
  const notFound = (name: string) => sfErrors(404, 'NOT_FOUND', `The requested resource does not exist: sObject type '${name}' is not supported.`);

  const upsertCollection = (type: SObjectType, extField: string, body: { allOrNone?: boolean; records?: Record<string, unknown>[] }) => {
    const records = body.records ?? [];
    if (records.length > MAX_COLLECTION) return sfErrors(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${MAX_COLLECTION} records into this call`);
    const ext = type.fields.get(extField);
    if (!ext || !(ext.externalId || ext.name === 'Id')) return sfErrors(400, 'INVALID_FIELD', `Field ${extField} is not an External ID or Id field for ${type.name}`);
    maxCollectionSeen = Math.max(maxCollectionSeen, records.length);
    return {
      status: 200,
      body: records.map((r) => {
        const { attributes: _a, ...values } = r;
        const key = values[extField];
        if (key === undefined || key === null || key === '') return { success: false, errors: [{ statusCode: 'MISSING_ARGUMENT', message: `${extField} not specified`, fields: [extField] }] };
        const existing = type.findBy(extField, key);
        const errors = type.validate(values, !existing, existing);
        if (errors.length) return { success: false, errors };
        const saved = type.save(values, existing);
        return { id: saved.Id, success: true, errors: [], created: !existing };
      }),
    };
  };

  const deleteCollection = (ids: string[]) => {
    if (ids.length > MAX_COLLECTION) return sfErrors(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${MAX_COLLECTION} records into this call`);
    return {
      status: 200,
      body: ids.map((id) => {
        const type = [...objects.values()].find((t) => t.records.has(id));
        if (!type) return { id, success: false, errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }] };
        type.records.delete(id);
        return { id, success: true, errors: [] };
      }),
    };
  };

  const route = (req: IncomingMessage, raw: string): { status: number; body: unknown; type?: string } => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = /^\/services\/data\/v(\d+\.\d)(\/.*)$/.exec(url.pathname);
    if (!m) return sfErrors(404, 'NOT_FOUND', 'The requested resource does not exist');
    const rest = m[2];
    const json = () => (raw ? (JSON.parse(raw) as Record<string, never>) : {});
    let r: RegExpExecArray | null;
    const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
    if ((r = /^\/sobjects\/([^/]+)\/describe$/.exec(rest)) && req.method === 'GET') {
      count('describe');
      const t = typeOf(r[1]);
      return t ? { status: 200, body: t.describe() } : notFound(r[1]);
    }
    if ((r = /^\/composite\/sobjects\/([^/]+)\/([^/]+)$/.exec(rest)) && req.method === 'PATCH') {
      count('collections.upsert');
      const t = typeOf(r[1]);
      return t ? upsertCollection(t, r[2], json()) : notFound(r[1]);
    }
    if (rest === '/composite/sobjects' && req.method === 'DELETE') {
      count('collections.delete');
      return deleteCollection((url.searchParams.get('ids') ?? '').split(',').filter(Boolean));
    }
    if (rest === '/query' && req.method === 'GET') {
      count('query');
      return runSoql(objects, url.searchParams.get('q') ?? '');
    }
    if (rest === '/limits' && req.method === 'GET') {
      count('limits');
      return { status: 200, body: { DailyApiRequests: { Max: limit, Remaining: Math.max(0, limit - used) } } };
    }
    if (rest.startsWith('/jobs/ingest')) {
      count(`bulk.${req.method}`);
      return bulk.handle(req.method ?? 'GET', rest.slice('/jobs/ingest'.length), raw);
    }
    return sfErrors(404, 'NOT_FOUND', `The requested resource does not exist: ${req.method} ${rest}`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const send = (status: number, body: unknown, type = 'application/json;charset=UTF-8') => {
      res.writeHead(status, { 'content-type': type, 'sforce-limit-info': `api-usage=${used}/${limit}` });
      res.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${o.token}`) return send(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    if (used >= limit) return send(403, [{ message: `TotalRequests Limit exceeded.`, errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
    used++;
    try {
      const r = route(req, Buffer.concat(chunks).toString('utf8'));
      send(r.status, r.body, r.type);
    } catch (err) {
      send(400, [{ message: `JSON_PARSER_ERROR: ${(err as Error).message}`, errorCode: 'JSON_PARSER_ERROR' }]);
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    apiUsage: () => used,
    calls,
    get maxCollectionSeen() {
      return maxCollectionSeen;
    },
    contents(type, field) {
      const out = new Map<string, Record<string, unknown>>();
      for (const r of objects.get(type)?.records.values() ?? []) {
        if (r[field] === null || r[field] === undefined) continue;
        out.set(String(r[field]), Object.fromEntries(Object.entries(r).filter(([k, v]) => !SYSTEM.has(k) && v !== null)));
      }
      return out;
    },
    close: () =>
      new Promise<void>((resolve) => {
        // Clients keep idle keep-alive sockets open; close() alone would wait for them.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
