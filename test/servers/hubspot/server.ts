/**
 * A local HubSpot CRM v3 API for tests and benchmarks, driven by the real @hubspot/api-client.
 * It speaks HubSpot's routes and shapes and enforces its documented rules: 100 inputs per batch,
 * a unique `idProperty`, property types and options, read-only properties, 207 multi-status for
 * per-input errors, 409 CONFLICT for a unique value another record holds (the whole batch is
 * refused), Bearer-token auth (401) and scopes (403), and the ten-secondly rolling rate limit
 * answered 429 with HubSpot's body and X-HubSpot-RateLimit-* headers.
 *
 *   POST /crm/v3/objects/{objectType}/batch/upsert | batch/read | batch/archive
 *   GET  /crm/v3/properties/{objectType}
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorBody, invalidAuthentication, missingScopes, rateLimited, type HubSpotError } from './bodies';
import { CrmObject, type CrmRecord, type PropertyDef } from './crm-store';
import { RollingLimit } from './rate-limit';

/** HubSpot's batch limit for CRM object endpoints. */
export const MAX_BATCH_INPUTS = 100;

/** Options of {@link startHubSpotServer}. */
export interface HubSpotServerOptions {
  /** The private-app token the server accepts. */
  token: string;
  /** Requests per rolling interval (default 190 per 10 s: HubSpot Professional). */
  rateLimit?: { max: number; intervalMs: number };
  /** Object types beyond contacts, companies and deals (e.g. a custom object `2-1234567`). */
  objects?: Record<string, PropertyDef[]>;
  /** Object types the token has no scope for (answered 403 MISSING_SCOPES). */
  deniedObjects?: string[];
}

/** A running server: its URL, its data and its counters. */
export interface HubSpotServer {
  url: string;
  objects: Map<string, CrmObject>;
  limit: RollingLimit;
  /** Requests by route (`upsert`, `read`, `archive`, `properties`), and batch sizes seen. */
  calls: Record<string, number>;
  maxInputsSeen: number;
  /** Records' own property values by the value of `property` (for tests reading what landed). */
  contents(objectType: string, property: string): Map<string, Record<string, string>>;
  close(): Promise<void>;
}

const STANDARD: Record<string, { aliases: string[]; properties: PropertyDef[] }> = {
  contacts: {
    aliases: ['0-1'],
    properties: [
      { name: 'email', type: 'string', fieldType: 'text', hasUniqueValue: true },
      { name: 'firstname', type: 'string', fieldType: 'text' },
      { name: 'lastname', type: 'string', fieldType: 'text' },
      { name: 'phone', type: 'string', fieldType: 'phonenumber' },
      { name: 'lifecyclestage', type: 'enumeration', fieldType: 'radio', options: ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other'] },
      { name: 'ebb_customer_id', type: 'string', fieldType: 'text', hasUniqueValue: true },
      { name: 'ebb_score', type: 'number', fieldType: 'number' },
      { name: 'ebb_synced_at', type: 'datetime', fieldType: 'date' },
    ],
  },
  companies: {
    aliases: ['0-2'],
    properties: [
      { name: 'name', type: 'string', fieldType: 'text' },
      { name: 'domain', type: 'string', fieldType: 'text' },
      { name: 'ebb_account_id', type: 'string', fieldType: 'text', hasUniqueValue: true },
      { name: 'numberofemployees', type: 'number', fieldType: 'number' },
    ],
  },
  deals: {
    aliases: ['0-3'],
    properties: [
      { name: 'dealname', type: 'string', fieldType: 'text' },
      { name: 'amount', type: 'number', fieldType: 'number' },
      { name: 'dealstage', type: 'enumeration', fieldType: 'radio', options: ['appointmentscheduled', 'qualifiedtobuy', 'closedwon', 'closedlost'] },
      { name: 'ebb_deal_id', type: 'string', fieldType: 'text', hasUniqueValue: true },
    ],
  },
};

/** Starts the server on a free local port. */
export async function startHubSpotServer(o: HubSpotServerOptions): Promise<HubSpotServer> {
  const objects = new Map<string, CrmObject>();
  const aliases = new Map<string, string>();
  for (const [name, s] of Object.entries(STANDARD)) {
    objects.set(name, new CrmObject(name, s.properties));
    for (const a of s.aliases) aliases.set(a, name);
  }
  for (const [name, props] of Object.entries(o.objects ?? {})) objects.set(name, new CrmObject(name, props));
  const limit = new RollingLimit(o.rateLimit?.max ?? 190, o.rateLimit?.intervalMs ?? 10_000);
  const calls: Record<string, number> = {};
  let nextId = 1000;
  let maxInputsSeen = 0;

  const objectOf = (type: string): CrmObject | HubSpotError => {
    const obj = objects.get(aliases.get(type) ?? type);
    if (!obj) return errorBody(400, 'VALIDATION_ERROR', `Unable to infer object type from: ${type}`);
    if (o.deniedObjects?.includes(obj.name)) return missingScopes(`crm.objects.${obj.name}.write`);
    return obj;
  };

  const upsert = (obj: CrmObject, body: { inputs?: Array<{ id?: string; idProperty?: string; properties?: Record<string, unknown> }> }) => {
    const inputs = body.inputs;
    if (!Array.isArray(inputs)) return errorBody(400, 'VALIDATION_ERROR', 'Invalid input JSON: "inputs" is required');
    if (inputs.length > MAX_BATCH_INPUTS) return errorBody(400, 'VALIDATION_ERROR', `Batch input size ${inputs.length} exceeds the limit of ${MAX_BATCH_INPUTS}`);
    const idProperty = inputs[0]?.idProperty ?? 'hs_object_id';
    const refused = obj.checkBatch(idProperty, inputs);
    if (refused) return refused;
    const ids = inputs.map((i) => String(i.id ?? ''));
    const dupes = ids.filter((id, n) => ids.indexOf(id) !== n);
    if (dupes.length) return errorBody(400, 'VALIDATION_ERROR', `Duplicate IDs found in batch input: [${[...new Set(dupes)].join(', ')}]. IDs must be unique`);

    const errors: Record<string, unknown>[] = [];
    const valid: Array<{ id: string; properties: Record<string, string> }> = [];
    for (const [n, input] of inputs.entries()) {
      const properties = Object.fromEntries(Object.entries(input.properties ?? {}).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]));
      const problems = Object.entries(properties)
        .map(([k, v]) => [k, obj.invalidValue(k, v)] as const)
        .filter((p): p is readonly [string, string] => p[1] !== undefined);
      if (problems.length) {
        errors.push({
          status: 'error',
          category: 'VALIDATION_ERROR',
          message: `Property values were not valid: ${JSON.stringify(problems.map(([name, message]) => ({ isValid: false, message, error: 'INVALID_OPTION', name })))}`,
          context: { ids: [ids[n]] },
        });
      } else valid.push({ id: ids[n], properties: { ...properties, [idProperty]: ids[n] } });
    }
    // A unique value another record (or another input) holds refuses the whole batch: 409.
    const claimed = new Map<string, string>();
    for (const v of valid) {
      const self = obj.findBy(idProperty, v.id);
      const clash = obj.conflict(self, v.properties);
      if (clash) return errorBody(409, 'CONFLICT', clash);
      for (const [k, value] of Object.entries(v.properties)) {
        if (!obj.properties.get(k)?.hasUniqueValue || k === idProperty || value === '') continue;
        const key = `${k}\u0000${value}`;
        if (claimed.has(key)) return errorBody(409, 'CONFLICT', `${obj.name} already exists with this ${k}. Existing ID: ${claimed.get(key)}`);
        claimed.set(key, v.id);
      }
    }
    const now = new Date().toISOString();
    const results = valid.map((v) => {
      let record: CrmRecord | undefined = obj.findBy(idProperty, v.id);
      const created = !record;
      if (!record) {
        record = { id: String(nextId++), properties: {}, createdAt: now, updatedAt: now };
        obj.records.set(record.id, record);
      }
      // An empty string clears a property, as in HubSpot: the record no longer has a value for it.
      for (const [k, value] of Object.entries(v.properties)) obj.set(record, k, value);
      Object.assign(record.properties, { hs_object_id: record.id, lastmodifieddate: now });
      record.properties.createdate ??= record.createdAt;
      record.updatedAt = now;
      return { id: record.id, properties: { ...record.properties }, createdAt: record.createdAt, updatedAt: now, archived: false, new: created };
    });
    const base = { status: 'COMPLETE', results, startedAt: now, completedAt: new Date().toISOString() };
    return errors.length ? { status: 207, body: { ...base, numErrors: errors.length, errors } } : { status: 200, body: base };
  };

  const read = (obj: CrmObject, body: { idProperty?: string; inputs?: Array<{ id?: string }>; properties?: string[] }) => {
    const inputs = body.inputs ?? [];
    if (inputs.length > MAX_BATCH_INPUTS) return errorBody(400, 'VALIDATION_ERROR', `Batch input size ${inputs.length} exceeds the limit of ${MAX_BATCH_INPUTS}`);
    const idProperty = body.idProperty ?? 'hs_object_id';
    if (!obj.properties.get(idProperty)?.hasUniqueValue) return errorBody(400, 'VALIDATION_ERROR', `Property ${idProperty} is not a unique identifier property of ${obj.name}`);
    const missing: string[] = [];
    const results = [];
    for (const input of inputs) {
      const r = obj.findBy(idProperty, String(input.id));
      if (!r) {
        missing.push(String(input.id));
        continue;
      }
      const wanted = [...(body.properties ?? []), 'hs_object_id', 'createdate', 'lastmodifieddate'];
      results.push({ id: r.id, properties: Object.fromEntries(wanted.map((p) => [p, r.properties[p] ?? null])), createdAt: r.createdAt, updatedAt: r.updatedAt, archived: false });
    }
    const now = new Date().toISOString();
    const base = { status: 'COMPLETE', results, startedAt: now, completedAt: now };
    if (!missing.length) return { status: 200, body: base };
    return {
      status: 207,
      body: { ...base, numErrors: 1, errors: [{ status: 'error', category: 'OBJECT_NOT_FOUND', message: 'Could not get some objects, they may be deleted or not exist. Check that ids are valid.', context: { ids: missing } }] },
    };
  };

  const archive = (obj: CrmObject, body: { inputs?: Array<{ id?: string }> }) => {
    const inputs = body.inputs ?? [];
    if (inputs.length > MAX_BATCH_INPUTS) return errorBody(400, 'VALIDATION_ERROR', `Batch input size ${inputs.length} exceeds the limit of ${MAX_BATCH_INPUTS}`);
    for (const i of inputs) obj.remove(String(i.id));
    return { status: 204, body: undefined };
  };

  const properties = (obj: CrmObject) => ({
    status: 200,
    body: {
      results: [...obj.properties.values()].map((p) => ({
        name: p.name,
        label: p.name,
        type: p.type,
        fieldType: p.fieldType ?? 'text',
        groupName: `${obj.name}information`,
        hasUniqueValue: p.hasUniqueValue ?? false,
        options: (p.options ?? []).map((v, i) => ({ label: v, value: v, displayOrder: i, hidden: false })),
        modificationMetadata: { archivable: !p.readOnlyValue, readOnlyDefinition: p.readOnlyValue ?? false, readOnlyValue: p.readOnlyValue ?? false },
        calculated: false,
        externalOptions: false,
        formField: true,
      })),
    },
  });

  const route = (req: IncomingMessage, body: unknown): { status: number; body: unknown } => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const objects = /^\/crm\/v3\/objects\/([^/]+)\/batch\/(upsert|read|archive)$/.exec(url.pathname);
    const props = /^\/crm\/v3\/properties\/([^/]+)$/.exec(url.pathname);
    const m = objects ?? props;
    if (!m) return errorBody(404, 'OBJECT_NOT_FOUND', `No route for ${req.method} ${url.pathname}`);
    const action = objects ? objects[2] : 'properties';
    calls[action] = (calls[action] ?? 0) + 1;
    const obj = objectOf(decodeURIComponent(m[1]));
    if (!(obj instanceof CrmObject)) return obj;
    const b = (body ?? {}) as Record<string, never>;
    if (Array.isArray(b.inputs)) maxInputsSeen = Math.max(maxInputsSeen, (b.inputs as unknown[]).length);
    if (action === 'properties' && req.method === 'GET') return properties(obj);
    if (req.method !== 'POST') return errorBody(405, 'VALIDATION_ERROR', `${req.method} is not allowed here`);
    return action === 'upsert' ? upsert(obj, b) : action === 'read' ? read(obj, b) : archive(obj, b);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', ...limit.headers() });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${o.token}`) {
      const e = invalidAuthentication();
      return send(e.status, e.body);
    }
    if (!limit.admit()) {
      const e = rateLimited();
      return send(e.status, e.body);
    }
    let body: unknown;
    try {
      body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    } catch {
      const e = errorBody(400, 'VALIDATION_ERROR', 'Invalid input JSON');
      return send(e.status, e.body);
    }
    const r = route(req, body);
    send(r.status, r.body);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'error', message: String(err), category: 'INTERNAL_ERROR' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    limit,
    calls,
    get maxInputsSeen() {
      return maxInputsSeen;
    },
    contents(objectType, property) {
      const obj = objects.get(aliases.get(objectType) ?? objectType);
      const out = new Map<string, Record<string, string>>();
      for (const r of obj?.records.values() ?? []) {
        if (r.properties[property] === undefined) continue;
        // The record's own values, without what HubSpot maintains (ids and timestamps).
        const { hs_object_id: _id, createdate: _c, lastmodifieddate: _m, ...values } = r.properties;
        out.set(r.properties[property], values);
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
