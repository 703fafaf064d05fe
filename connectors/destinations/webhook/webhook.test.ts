import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../../../test/servers/webhook-receiver';
import { destinationConformance } from '../../conformance/destination-suite';
import { createConnectorContext } from '../../context';
import type { RecordWrite, WriteBatch } from '../../types';
import { signature } from './client';
import { parseRetryAfter } from './errors';
import { webhookDestination } from './index';
import { rejection } from '../../conformance/assertions';

const SECRET = 'webhook-test-signing-secret';
const env = { ...process.env, EBB_HOOK_SECRET: SECRET, EBB_HOOK_WRONG: 'not-the-secret', EBB_HOOK_TOKEN: 'Bearer token-from-env' };
const ctx = () => createConnectorContext({ env });
const config = (url: string, over: Record<string, unknown> = {}) => ({ url: `${url}/hooks/crm`, signingSecret: { env: 'EBB_HOOK_SECRET' }, ...over });
const open = (url: string, over: Record<string, unknown> = {}) => webhookDestination.create(webhookDestination.configSchema.parse(config(url, over)), ctx());

let crm: WebhookReceiver;
let limited: WebhookReceiver;

destinationConformance({
  connector: webhookDestination,
  makeConfig: () => config(crm.url),
  requiredFields: ['url', 'signingSecret'],
  secretFields: ['signingSecret'],
  object: 'contacts',
  idField: 'id',
  makeContext: ctx,
  setup: async () => {
    crm = await startWebhookReceiver({
      secret: SECRET,
      objects: ['contacts'],
      // Quotes the value on purpose: the connector must not pass it on.
      rejectWhen: (r) => (String(r.fields.name).startsWith('forbidden') ? `name "${String(r.fields.name)}" is not allowed` : undefined),
    });
    limited = await startWebhookReceiver({ secret: SECRET, rateLimit: { every: 1, retryAfterSeconds: 2 } });
  },
  teardown: async () => {
    await crm?.close();
    await limited?.close();
  },
  readAll: async () => new Map(crm.state),
  missingObject: 'no_such_object',
  faults: {
    rejectRow: (id) => ({ name: `forbidden name of ${id}` }),
    // One attempt, so the 429 is thrown at once instead of waited out.
    rateLimited: () => config(limited.url, { maxAttempts: 1 }),
    badAuth: () => config(crm.url, { signingSecret: { env: 'EBB_HOOK_WRONG' } }),
  },
});

describe('webhook destination: specifics', () => {
  let seq = 0;
  const batch = (records: Omit<RecordWrite, 'seq'>[]): WriteBatch => {
    const recs = records.map((r) => ({ ...r, seq: ++seq }));
    return { object: 'contacts', idField: 'id', records: recs, idempotencyKey: `run-x:crm:${recs[0]?.seq}` };
  };
  const up = (id: string, fields: Record<string, unknown> = {}): Omit<RecordWrite, 'seq'> => ({ key: `k-${id}`, op: 'upsert', fields: { id, ...fields } });
  const receivers: WebhookReceiver[] = [];
  const receiver = async (o: Omit<Parameters<typeof startWebhookReceiver>[0], 'secret'> = {}) => {
    const r = await startWebhookReceiver({ secret: SECRET, ...o });
    receivers.push(r);
    return r;
  };
  after(async () => {
    for (const r of receivers) await r.close();
  });

  it('speaks the protocol: body, Idempotency-Key, signature, extra headers from secrets', async () => {
    const seen: ReceivedRequest[] = [];
    const r = await receiver({ onRequest: (req) => void seen.push(req) });
    const d = open(r.url, { headers: { Authorization: { env: 'EBB_HOOK_TOKEN' }, 'X-Tenant': 'acme' } });
    const b = batch([up('p1', { email: 'a@example.com', score: 3n }), { key: 'k-p2', op: 'delete', fields: { id: 'p2' } }]);
    const res = await d.write(b);
    assert.deepEqual(res.results, b.records.map((x) => ({ seq: x.seq, status: 'ok' })));
    assert.equal(seen.length, 1);
    const req = seen[0];
    assert.equal(req.path, '/hooks/crm');
    assert.equal(req.headers['idempotency-key'], b.idempotencyKey);
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers.authorization, 'Bearer token-from-env');
    assert.equal(req.headers['x-tenant'], 'acme');
    assert.match(String(req.headers['x-ebb-signature']), /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.deepEqual(
      { object: req.object, idField: req.idField, idempotencyKey: req.idempotencyKey, records: req.records },
      {
        object: 'contacts',
        idField: 'id',
        idempotencyKey: b.idempotencyKey,
        records: [
          { op: 'upsert', key: 'k-p1', id: 'p1', fields: { id: 'p1', email: 'a@example.com', score: '3' } },
          { op: 'delete', key: 'k-p2', id: 'p2', fields: { id: 'p2' } },
        ],
      },
    );
    assert.deepEqual(r.deliveries.map((x) => x.keys), [['k-p1', 'k-p2']]);
    assert.equal(r.sendCount('k-p1'), 1);
  });

  it('the signature is HMAC-SHA256 of "<t>.<body>" (a known vector)', () => {
    assert.equal(signature('secret', '{"a":1}', 1_700_000_000_000), 't=1700000000,v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686');
  });

  it('waits out a 429 as Retry-After says, then delivers', async () => {
    const r = await receiver({ rateLimit: { every: 2, retryAfterSeconds: 1 } });
    const d = open(r.url);
    await d.write(batch([up('rl1')])); // request 1: ok
    const started = Date.now();
    const res = await d.write(batch([up('rl2')])); // request 2: 429, request 3: ok
    const waited = Date.now() - started;
    assert.equal(res.results[0].status, 'ok');
    assert.ok(waited >= 950 && waited < 5_000, `waited ${waited} ms`);
    assert.equal(r.rateLimited(), 1);
    assert.ok(r.state.has('rl2'));
    assert.equal(res.retryAfterMs, undefined, 'the wait was already honoured inside write()');
  });

  it('a Retry-After beyond 30 s is thrown at once as rateLimit, for the activity retry to wait out', async () => {
    const r = await receiver({ rateLimit: { every: 1, retryAfterSeconds: 120 } });
    const started = Date.now();
    const err = await rejection(open(r.url).write(batch([up('rl-long')])));
    assert.equal(err.kind, 'rateLimit');
    assert.equal(err.retryAfterMs, 120_000);
    assert.ok(Date.now() - started < 2_000);
    assert.match(err.message, /answered 429 for object "contacts"/);
  });

  it('retries 503s and 500s with backoff, then delivers once', async () => {
    const r = await receiver({ respondWith: (req) => (req.n === 1 ? 503 : req.n === 2 ? 500 : undefined) });
    const res = await open(r.url, { maxAttempts: 3 }).write(batch([up('flaky')]));
    assert.equal(res.results[0].status, 'ok');
    assert.equal(r.deliveries.length, 1);
    assert.deepEqual(r.state.get('flaky'), { id: 'flaky' });
  });

  it('honours a 503 Retry-After given as an HTTP date', async () => {
    const r = await receiver({ respondWith: (req) => (req.n === 1 ? { status: 503, retryAfter: new Date(Date.now() + 2_000).toUTCString() } : undefined) });
    const started = Date.now();
    const res = await open(r.url).write(batch([up('dated')]));
    assert.equal(res.results[0].status, 'ok');
    // HTTP dates have 1 s resolution: the wait is between 1 and 2 s.
    assert.ok(Date.now() - started >= 900, `waited ${Date.now() - started} ms`);
  });

  it('gives up after maxAttempts 5xx with a transient error', async () => {
    let attempts = 0;
    const r = await receiver({ respondWith: () => (attempts++, 502) });
    const err = await rejection(open(r.url, { maxAttempts: 2 }).write(batch([up('down')])));
    assert.equal(err.kind, 'transient');
    assert.equal(err.nonRetryable, false);
    assert.equal(attempts, 2);
    assert.match(err.message, /\/hooks\/crm answered 502 for object "contacts"/);
  });

  for (const [status, kind] of [
    [401, 'auth'],
    [403, 'auth'],
    [404, 'config'],
    [400, 'data'],
    [422, 'data'],
  ] as const) {
    it(`${status} is a non-retryable ${kind} error, sent once`, async () => {
      let attempts = 0;
      const r = await receiver({ respondWith: () => (attempts++, status) });
      const err = await rejection(open(r.url).write(batch([up(`s${status}`, { email: 'leak@example.com' })])));
      assert.equal(err.kind, kind);
      assert.equal(err.nonRetryable, true);
      assert.equal(attempts, 1);
      assert.doesNotMatch(err.message, /leak@example\.com|webhook-test-signing-secret/);
    });
  }

  it('passes per-record retryable results through, with reasons stripped of the record\'s values', async () => {
    const r = await receiver({
      retryableWhen: (rec) => (rec.fields.busy ? 'record locked, try later' : undefined),
      rejectWhen: (rec) => (rec.fields.email === 'jane.doe@example.com' ? 'invalid email jane.doe@example.com (jane.doe)' : undefined),
    });
    const b = batch([up('r1', { busy: true }), up('r2', { email: 'jane.doe@example.com' }), up('r3')]);
    const res = await open(r.url).write(b);
    assert.deepEqual(res.results, [
      { seq: b.records[0].seq, status: 'retryable', reason: 'record locked, try later' },
      { seq: b.records[1].seq, status: 'rejected', reason: 'invalid email … (…)' },
      { seq: b.records[2].seq, status: 'ok' },
    ]);
  });

  it('a receiver that does not answer in timeoutMs is transient', async () => {
    const r = await receiver({ delayMs: 1_000 });
    const err = await rejection(open(r.url, { timeoutMs: 100, maxAttempts: 1 }).write(batch([up('slow')])));
    assert.equal(err.kind, 'transient');
    assert.match(err.message, /did not answer within 100 ms/);
  });

  it('a refused connection is transient', async () => {
    const r = await receiver();
    const url = r.url;
    await r.close();
    const err = await rejection(open(url, { maxAttempts: 1 }).write(batch([up('nobody')])));
    assert.equal(err.kind, 'transient');
    assert.match(err.message, /cannot reach webhook .*ECONNREFUSED/);
  });

  it('check() sends a signed, empty batch and expects 2xx', async () => {
    const seen: ReceivedRequest[] = [];
    const r = await receiver({ onRequest: (req) => void seen.push(req) });
    await open(r.url).check('contacts');
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0].records, []);
    assert.equal(r.state.size, 0);
  });

  it('the config refuses inline credentials and non-http URLs, naming the path', () => {
    const issues = (c: Record<string, unknown>) => {
      const p = webhookDestination.configSchema.safeParse(c);
      assert.ok(!p.success);
      return p.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    };
    assert.match(issues(config('http://x', { headers: { Authorization: 'Bearer inline-token' } })), /^headers\.Authorization: a credential header must be a secret reference/m);
    assert.match(issues(config('http://x', { headers: { 'Idempotency-Key': 'x' } })), /^headers\.Idempotency-Key: .*set by ebb/m);
    assert.match(issues({ ...config('x'), url: 'ftp://host/path' }), /^url: must be an http/m);
    assert.match(issues({ ...config('x'), url: 'https://user:pw@host/path' }), /^url: credentials in the URL are inline secrets/m);
    assert.match(issues(config('http://x', { maxAttempts: 0 })), /^maxAttempts:/m);
  });

  it('parses Retry-After in seconds and as an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3_000);
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now), 10_000);
    assert.equal(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  it('the receiver refuses a bad signature with 401 and applies nothing', async () => {
    const r = await receiver();
    const body = JSON.stringify({ object: 'contacts', idField: 'id', idempotencyKey: 'x', records: [{ op: 'upsert', key: 'a', id: 'a', fields: { id: 'a' } }] });
    for (const sig of ['', signature('wrong-secret', body), signature(SECRET, body, Date.now() - 3_600_000)]) {
      const res = await fetch(r.url, { method: 'POST', headers: { 'X-Ebb-Signature': sig }, body });
      assert.equal(res.status, 401, `signature "${sig}"`);
    }
    assert.equal(r.state.size, 0);
    assert.equal(r.deliveries.length, 0);
  });

  it('the receiver reports a held request as in flight until it is answered', async () => {
    let release!: () => void;
    const held = new Promise<void>((res) => (release = res));
    const r = await receiver({ onRequest: () => held });
    const writing = open(r.url).write(batch([up('held')]));
    while (r.inFlight().length === 0) await new Promise((res) => setTimeout(res, 10));
    assert.deepEqual(r.inFlight(), [`run-x:crm:${seq}`]);
    assert.equal(r.state.has('held'), false);
    release();
    assert.equal((await writing).results[0].status, 'ok');
    assert.deepEqual(r.inFlight(), []);
    assert.ok(r.state.has('held'));
  });

  it('the receiver runs standalone and logs a line per delivery', async () => {
    // Find a free port, then hand it to the child.
    const probe = http.createServer();
    await new Promise<void>((res) => probe.listen(0, '127.0.0.1', res));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((res) => probe.close(() => res()));
    const script = path.resolve(__dirname, '../../../test/servers/webhook-receiver.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, '--port', String(port), '--secret-env', 'EBB_HOOK_SECRET'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      const waitFor = async (re: RegExp) => {
        const deadline = Date.now() + 15_000;
        while (!re.test(out)) {
          if (Date.now() > deadline || child.exitCode !== null) assert.fail(`no ${re} in output: ${out}`);
          await new Promise((res) => setTimeout(res, 20));
        }
      };
      await waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/);
      const res = await open(`http://127.0.0.1:${port}`).write(batch([up('solo', { email: 'solo@example.com' })]));
      assert.equal(res.results[0].status, 'ok');
      await waitFor(/contacts run-x:crm:\d+: 1 records \(0 deletes\), 0 not ok; holding 1/);
      assert.doesNotMatch(out, /solo@example\.com/, 'the log carries no field values');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});

