/**
 * A local Salesforce REST API for tests, driven by the real jsforce. It speaks the routes jsforce
 * calls and enforces Salesforce's documented rules: describe, sObject Collections of at most 200
 * records with per-record results (./collections.ts, save rules in ./sobjects.ts), SOQL
 * `SELECT … FROM … WHERE field IN (…)` with paging (./soql.ts), the Bulk API 2.0 ingest routes
 * with CSV results (./bulk.ts), `/limits` and the daily API allocation reported in every
 * `Sforce-Limit-Info` header and refused with 403 REQUEST_LIMIT_EXCEEDED, Bearer-token auth
 * (401 INVALID_SESSION_ID) and the client-credentials token endpoint (./oauth.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BulkJobs } from './bulk';
import { deleteCollection, sfErrors, updateCollection, upsertCollection, type Reply } from './collections';
import { tokenEndpoint, type ConnectedApp } from './oauth';
import { SoqlEngine } from './soql';
import { SObjectType, type SfField } from './sobjects';
import { STANDARD_OBJECTS } from './standard-objects';

export { MAX_COLLECTION } from './collections';

/** Options of {@link startSalesforceServer}. */
export interface SalesforceServerOptions {
  /** A token the org accepts from the start (as if issued earlier). */
  token: string;
  /** API calls allowed per 24 h (default 15,000, a Developer Edition org). */
  dailyApiLimit?: number;
  /** sObject types beyond the standard ones in ./standard-objects.ts. */
  objects?: Record<string, { keyPrefix: string; fields: SfField[] }>;
  /** SOQL records per page (default 2,000, Salesforce's default). */
  queryPageSize?: number;
  /** Polls that see a closed Bulk job InProgress before JobComplete (default 1). */
  bulkPollsInProgress?: number;
  /** A connected app with the client-credentials flow enabled. */
  connectedApp?: ConnectedApp;
}

/** A running server. */
export interface SalesforceServer {
  url: string;
  objects: Map<string, SObjectType>;
  /** REST calls counted against the daily allocation. */
  apiUsage(): number;
  /** Calls by route (`describe`, `collections.upsert`, `query`, `bulk.POST`, …), refused ones included. */
  calls: Record<string, number>;
  /** The largest Collections call accepted (refused ones are answered EXCEEDED_ID_LIMIT). */
  maxCollectionSeen: number;
  /** Bulk ingest jobs by state. */
  bulkJobStates(): Record<string, number>;
  /** Answers the next `count` API calls with `status` (a 503 outage, say). */
  failNext(count: number, status?: number): void;
  /** Revokes every token issued through the client-credentials flow (they expired). */
  expireIssuedTokens(): void;
  /** Records of `type` by the value of `field`, without system fields. */
  contents(type: string, field: string): Map<string, Record<string, unknown>>;
  close(): Promise<void>;
}

const SYSTEM = new Set(['Id', 'CreatedDate', 'LastModifiedDate', 'attributes']);

/** Starts the server on a free local port. */
export async function startSalesforceServer(o: SalesforceServerOptions): Promise<SalesforceServer> {
  const objects = new Map<string, SObjectType>();
  for (const [name, d] of Object.entries({ ...STANDARD_OBJECTS, ...(o.objects ?? {}) })) objects.set(name, new SObjectType(name, d.keyPrefix, d.fields));
  const limit = o.dailyApiLimit ?? 15_000;
  const tokens = new Set([o.token]);
  let url = '';
  let used = 0;
  let maxCollectionSeen = 0;
  let outage = { count: 0, status: 503 };
  const calls: Record<string, number> = {};
  const bulk = new BulkJobs(objects, o.bulkPollsInProgress ?? 1);
  const soql = new SoqlEngine(objects, o.queryPageSize ?? 2_000);
  const seen = (n: number) => (maxCollectionSeen = Math.max(maxCollectionSeen, n));
  const notFound = (name: string) => sfErrors(404, 'NOT_FOUND', `The requested resource does not exist: sObject type '${name}' is not supported.`);
  const json = (raw: string) => (raw ? (JSON.parse(raw) as Record<string, never>) : {});

  const route = (method: string, path: string, query: URLSearchParams, raw: string): Reply => {
    const m = /^\/services\/data\/v(\d+\.\d)(\/.*)$/.exec(path);
    if (!m) return sfErrors(404, 'NOT_FOUND', 'The requested resource does not exist');
    const [, version, rest] = m;
    const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
    let r: RegExpExecArray | null;
    if ((r = /^\/sobjects\/([^/]+)\/describe$/.exec(rest)) && method === 'GET') {
      count('describe');
      const t = objects.get(r[1]);
      return t ? { status: 200, body: t.describe() } : notFound(r[1]);
    }
    if ((r = /^\/composite\/sobjects\/([^/]+)\/([^/]+)$/.exec(rest)) && method === 'PATCH') {
      count('collections.upsert');
      const t = objects.get(r[1]);
      return t ? upsertCollection(t, r[2], json(raw), seen) : notFound(r[1]);
    }
    if (rest === '/composite/sobjects' && method === 'PATCH') {
      count('collections.update');
      return updateCollection(objects, json(raw), seen);
    }
    if (rest === '/composite/sobjects' && method === 'DELETE') {
      count('collections.delete');
      return deleteCollection(objects, (query.get('ids') ?? '').split(',').filter(Boolean));
    }
    if (rest === '/query' && method === 'GET') {
      count('query');
      return soql.run(query.get('q') ?? '', version);
    }
    if ((r = /^\/query\/([^/]+)$/.exec(rest)) && method === 'GET') {
      count('query.more');
      return soql.more(r[1], version);
    }
    if (rest === '/limits' && method === 'GET') {
      count('limits');
      return { status: 200, body: { DailyApiRequests: { Max: limit, Remaining: Math.max(0, limit - used) }, DailyBulkV2QueryJobs: { Max: 10_000, Remaining: 10_000 } } };
    }
    if (rest.startsWith('/jobs/ingest')) {
      count(`bulk.${method}`);
      return bulk.handle(method, rest.slice('/jobs/ingest'.length).replace(/\/$/, ''), raw);
    }
    return sfErrors(404, 'NOT_FOUND', `The requested resource does not exist: ${method} ${rest}`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const send = (r: Reply) => {
      const headers: Record<string, string> = { 'content-type': r.type ?? 'application/json;charset=UTF-8' };
      if (req.url?.startsWith('/services/data/')) headers['sforce-limit-info'] = `api-usage=${used}/${limit}`;
      res.writeHead(r.status, headers);
      res.end(r.body === undefined ? undefined : typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
    };
    const u = new URL(req.url ?? '/', 'http://localhost');
    if (u.pathname === '/services/oauth2/token' && req.method === 'POST') {
      calls['oauth.token'] = (calls['oauth.token'] ?? 0) + 1;
      return send(tokenEndpoint(o.connectedApp, new URLSearchParams(raw), url, tokens));
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !tokens.has(bearer)) return send(sfErrors(401, 'INVALID_SESSION_ID', 'Session expired or invalid'));
    if (used >= limit) return send(sfErrors(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'));
    used++;
    if (outage.count > 0) {
      outage.count--;
      return send(sfErrors(outage.status, 'SERVER_UNAVAILABLE', 'Server temporarily unavailable'));
    }
    try {
      send(route(req.method ?? 'GET', u.pathname, u.searchParams, raw));
    } catch (err) {
      send(sfErrors(400, 'JSON_PARSER_ERROR', `The request body is not valid JSON: ${(err as Error).name}`));
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    objects,
    apiUsage: () => used,
    calls,
    get maxCollectionSeen() {
      return maxCollectionSeen;
    },
    bulkJobStates: () => bulk.states(),
    failNext(count, status = 503) {
      outage = { count, status };
    },
    expireIssuedTokens() {
      for (const t of tokens) if (t !== o.token) tokens.delete(t);
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
