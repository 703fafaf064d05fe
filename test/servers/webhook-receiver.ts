/**
 * A real HTTP receiver for ebb's webhook protocol (see connectors/destinations/webhook/write.ts),
 * standing in for a CRM in tests and the demo. It verifies signatures, applies upserts and
 * deletes to an in-memory map, answers per-record results, and can be told to misbehave:
 * rate limits, per-row rejections, forced status codes, slow answers, or requests held open.
 *
 * Standalone: `node --import tsx test/servers/webhook-receiver.ts --port 8787 --secret-env EBB_WEBHOOK_SECRET`
 * logs one line per delivery (counts and keys, never field values).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** One record of a delivery, as the protocol carries it. */
export interface ReceivedRecord {
  op: 'upsert' | 'update' | 'insert' | 'delete';
  key: string;
  id: unknown;
  fields: Record<string, unknown>;
}

/** A request that passed the signature check, as hooks see it. */
export interface ReceivedRequest {
  /** 1-based count of signed requests so far, this one included. */
  n: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  idempotencyKey: string;
  object: string;
  idField: string | null;
  records: ReceivedRecord[];
}

/** A delivery the receiver accepted for processing (recorded on receipt, before it is applied or answered). */
export interface Delivery {
  idempotencyKey: string;
  object: string;
  /** The records' `key`s, in order. */
  keys: string[];
  at: Date;
}

/** Options of {@link startWebhookReceiver}. */
export interface WebhookReceiverOptions {
  /** The shared signing secret. Required (typed optional so `process.env.X` can be passed directly). */
  secret: string | undefined;
  /** Default 0: any free port. */
  port?: number;
  host?: string;
  /** Answer every `every`-th signed request 429 with `Retry-After: retryAfterSeconds`, without applying it. */
  rateLimit?: { every: number; retryAfterSeconds: number };
  /** A per-record rejection reason, or undefined to accept the record. */
  rejectWhen?: (record: ReceivedRecord) => string | undefined;
  /** A per-record "try again later" reason, or undefined. */
  retryableWhen?: (record: ReceivedRecord) => string | undefined;
  /** Answer this HTTP status instead of processing (a 5xx, a 404…). Undefined processes normally. */
  respondWith?: (request: ReceivedRequest) => number | { status: number; retryAfter?: string } | undefined;
  /** When set, objects not listed are answered 404. */
  objects?: readonly string[];
  /** Wait this long before applying each delivery. */
  delayMs?: number;
  /** Called on receipt, before applying: a test can hold a request in flight by not resolving. */
  onRequest?: (request: ReceivedRequest) => Promise<void> | void;
  /** Accepted clock skew for signature timestamps. Default 300 s. */
  toleranceSeconds?: number;
  /** Keep only the latest deliveries (memory stays bounded on long demos). Default 100 000. */
  maxDeliveries?: number;
  /** Called with one line per delivery. */
  log?: (line: string) => void;
}

/** A running receiver. */
export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>`; any path under it is accepted. */
  url: string;
  /** What the CRM holds: String(id) → fields. */
  state: Map<string, Record<string, unknown>>;
  /** Accepted deliveries, oldest first (the latest `maxDeliveries`). */
  deliveries: Delivery[];
  /** Idempotency keys of deliveries received and not yet answered. */
  inFlight(): string[];
  /** How many accepted deliveries carried this record key. */
  sendCount(key: string): number;
  /** Signed requests answered 429 so far. */
  rateLimited(): number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Starts a receiver on 127.0.0.1. */
export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const secret = options.secret;
  if (!secret) throw new Error('startWebhookReceiver: a signing secret is required');
  const state = new Map<string, Record<string, unknown>>();
  const deliveries: Delivery[] = [];
  const sends = new Map<string, number>();
  const inFlight = new Map<number, string>();
  const maxDeliveries = options.maxDeliveries ?? 100_000;
  let signed = 0;
  let limited = 0;
  let nextId = 0;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (req.method !== 'POST') return reply(res, 405, { error: 'POST only' });
    const raw = await readBody(req);
    if (raw === undefined) return reply(res, 413, { error: 'body too large' });
    if (!verifySignature(String(req.headers['x-ebb-signature'] ?? ''), raw, secret, options.toleranceSeconds ?? 300)) {
      return reply(res, 401, { error: 'bad or missing X-Ebb-Signature' });
    }
    const n = ++signed;
    if (options.rateLimit && n % options.rateLimit.every === 0) {
      limited++;
      return reply(res, 429, { error: 'slow down' }, { 'Retry-After': String(options.rateLimit.retryAfterSeconds) });
    }
    const parsed = parseDelivery(raw);
    if (typeof parsed === 'string') return reply(res, 400, { error: parsed });
    const request: ReceivedRequest = { n, path: req.url ?? '/', headers: req.headers, ...parsed, idempotencyKey: String(req.headers['idempotency-key'] ?? parsed.idempotencyKey) };
    if (options.objects && !options.objects.includes(request.object)) return reply(res, 404, { error: 'unknown object' });
    const forced = options.respondWith?.(request);
    if (forced !== undefined) {
      const f = typeof forced === 'number' ? { status: forced } : forced;
      return reply(res, f.status, { error: 'forced by the test' }, f.retryAfter === undefined ? {} : { 'Retry-After': f.retryAfter });
    }

    const id = ++nextId;
    inFlight.set(id, request.idempotencyKey);
    try {
      const keys = request.records.map((r) => r.key);
      deliveries.push({ idempotencyKey: request.idempotencyKey, object: request.object, keys, at: new Date() });
      if (deliveries.length > maxDeliveries) deliveries.splice(0, deliveries.length - maxDeliveries);
      for (const k of keys) sends.set(k, (sends.get(k) ?? 0) + 1);
      await options.onRequest?.(request);
      if (options.delayMs) await sleep(options.delayMs);
      const results = apply(request.records);
      options.log?.(
        `${new Date().toISOString()} ${request.object} ${request.idempotencyKey}: ${request.records.length} records` +
          ` (${count(request.records, 'delete')} deletes), ${results.length} not ok; holding ${state.size}`,
      );
      reply(res, 200, { results });
    } finally {
      inFlight.delete(id);
    }
  };

  /** Applies records in order; only records that are not ok appear in the results. */
  const apply = (records: ReceivedRecord[]) => {
    const results: { key: string; status: 'rejected' | 'retryable'; reason: string }[] = [];
    for (const r of records) {
      const rejected = options.rejectWhen?.(r);
      if (rejected !== undefined) {
        results.push({ key: r.key, status: 'rejected', reason: rejected });
        continue;
      }
      const retry = options.retryableWhen?.(r);
      if (retry !== undefined) {
        results.push({ key: r.key, status: 'retryable', reason: retry });
        continue;
      }
      const id = String(r.id);
      if (r.op === 'delete') state.delete(id);
      else if (r.op === 'update' && !state.has(id)) results.push({ key: r.key, status: 'rejected', reason: 'record not found' });
      else if (r.op === 'insert' && state.has(id)) continue; // insert-only: an existing record is left as is
      else state.set(id, r.fields);
    }
    return results;
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => reply(res, 500, { error: 'receiver error' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    state,
    deliveries,
    inFlight: () => [...inFlight.values()],
    sendCount: (key) => sends.get(key) ?? 0,
    rateLimited: () => limited,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets and requests held by onRequest must not keep the server open.
        server.closeAllConnections();
      }),
  };
}

function reply(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  // The client may be gone (a killed worker): there is no one to answer.
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
}

async function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`; several v1 values are allowed (secret rotation). */
function verifySignature(header: string, body: string, secret: string, toleranceSeconds: number): boolean {
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = parts.find(([k]) => k === 't')?.[1];
  if (!t || !/^\d+$/.test(t) || Math.abs(Date.now() / 1000 - Number(t)) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return parts
    .filter(([k, v]) => k === 'v1' && v !== undefined && /^[0-9a-f]{64}$/.test(v))
    .some(([, v]) => timingSafeEqual(Buffer.from(v, 'hex'), expected));
}

function parseDelivery(raw: string): Omit<ReceivedRequest, 'n' | 'path' | 'headers'> | string {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return 'body is not JSON';
  }
  const b = body as Record<string, unknown>;
  if (typeof b !== 'object' || b === null || typeof b.object !== 'string' || !Array.isArray(b.records)) return 'expected { object, records: [] }';
  const ops = ['upsert', 'update', 'insert', 'delete'];
  for (const r of b.records as Record<string, unknown>[]) {
    if (typeof r?.key !== 'string' || !ops.includes(r.op as string) || typeof r.fields !== 'object' || r.fields === null) {
      return 'each record needs { op, key, id, fields }';
    }
  }
  return {
    idempotencyKey: String(b.idempotencyKey ?? ''),
    object: b.object,
    idField: typeof b.idField === 'string' ? b.idField : null,
    records: b.records as ReceivedRecord[],
  };
}

const count = (records: ReceivedRecord[], op: ReceivedRecord['op']) => records.filter((r) => r.op === op).length;

/** `--port 8787 --secret-env NAME`: runs until SIGINT/SIGTERM. */
async function main(argv: string[]): Promise<void> {
  const arg = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i === -1 ? undefined : argv[i + 1];
  };
  const secretEnv = arg('secret-env') ?? 'EBB_WEBHOOK_SECRET';
  const secret = process.env[secretEnv];
  if (!secret) {
    console.error(`webhook-receiver: set ${secretEnv} to the signing secret (or pass --secret-env NAME)`);
    process.exit(2);
  }
  const receiver = await startWebhookReceiver({ secret, port: Number(arg('port') ?? 8787), log: (line) => console.log(line) });
  console.log(`webhook receiver listening on ${receiver.url}`);
  const stop = () => void receiver.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
