/**
 * The hubspot destination, driven through the real @hubspot/api-client over HTTP against our
 * HubSpot-compatible server (test/servers/hubspot), which enforces HubSpot's batch cap, property
 * rules, 207 / 409 / 401 / 403 answers and the rolling rate limit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isEbbError } from '../../../domain/errors';
import { destinationConformance } from '../../conformance/destination-suite';
import { MemoryRequestBudget } from '../../budget/memory-budget';
import { createConnectorContext } from '../../context';
import type { RecordWrite, WriteBatch } from '../../types';
import { startHubSpotServer, type HubSpotServer } from '../../../test/servers/hubspot/server';
import { hubspotDestination } from './index';
import { reasonOf } from './write';

const TOKEN = 'pat-na1-test-token';
let crm: HubSpotServer;
let limited: HubSpotServer;
process.env.EBB_HUBSPOT_TOKEN = TOKEN;
process.env.EBB_HUBSPOT_WRONG = 'pat-na1-wrong';

const config = (url: string, extra: Record<string, unknown> = {}) => ({ accessToken: { env: 'EBB_HUBSPOT_TOKEN' }, baseUrl: url, ...extra });

destinationConformance({
  connector: hubspotDestination,
  setup: async () => {
    crm = await startHubSpotServer({ token: TOKEN });
    limited = await startHubSpotServer({ token: TOKEN, rateLimit: { max: 0, intervalMs: 10_000 } });
  },
  teardown: async () => {
    await crm?.close();
    await limited?.close();
  },
  makeConfig: () => config(crm.url),
  requiredFields: ['accessToken'],
  secretFields: ['accessToken'],
  object: 'contacts',
  idField: 'ebb_customer_id',
  fields: (id, version) => ({ ebb_customer_id: id, firstname: `${id} v${version}`, ebb_score: String(version) }),
  readAll: async () => crm.contents('contacts', 'ebb_customer_id'),
  missingObject: 'no_such_object',
  faults: {
    rejectRow: () => ({ ebb_score: 'not-a-number' }),
    rateLimited: () => config(limited.url, { maxAttempts: 1 }),
    badAuth: () => config(crm.url, { accessToken: { env: 'EBB_HUBSPOT_WRONG' } }),
  },
});

describe('hubspot destination: specifics', () => {
  let server: HubSpotServer;
  let seq = 0;
  const batch = (records: Omit<RecordWrite, 'seq'>[], object = 'contacts', idField = 'ebb_customer_id'): WriteBatch => {
    const recs = records.map((r) => ({ ...r, seq: ++seq }));
    return { object, idField, records: recs, idempotencyKey: `run:hs:${recs[0]?.seq}` };
  };
  const contact = (n: number, extra: Record<string, unknown> = {}): Omit<RecordWrite, 'seq'> => ({
    key: String(n),
    op: 'upsert',
    fields: { ebb_customer_id: `c-${n}`, email: `person${n}@example.com`, lifecyclestage: 'lead', ...extra },
  });
  const open = (raw: Record<string, unknown>, budget = new MemoryRequestBudget()) =>
    hubspotDestination.create(hubspotDestination.configSchema.parse(raw), createConnectorContext({ budget }));

  before(async () => {
    server = await startHubSpotServer({ token: TOKEN, objects: { '2-1234567': [{ name: 'plate', type: 'string', hasUniqueValue: true }, { name: 'color', type: 'string' }] }, deniedObjects: ['deals'] });
  });
  after(async () => server?.close());

  it('splits a batch into calls of at most 100 inputs', async () => {
    const d = open(config(server.url));
    const r = await d.write(batch(Array.from({ length: 250 }, (_, i) => contact(i))));
    assert.equal(r.results.filter((x) => x.status === 'ok').length, 250);
    assert.equal(server.maxInputsSeen, 100);
    assert.equal(server.contents('contacts', 'ebb_customer_id').size, 250);
  });

  it('a 207 becomes per-row outcomes; a 409 is isolated by splitting, and the neighbours land', async () => {
    const d = open(config(server.url));
    // c-1000 takes an email c-0 already holds (a unique property): HubSpot refuses the whole call with 409.
    const records = [contact(1000), contact(1001, { email: 'person0@example.com' }), contact(1002, { lifecyclestage: 'not-a-stage' }), contact(1003)];
    const r = await d.write(batch(records));
    const by = new Map(r.results.map((x) => [x.seq - (seq - 4) - 1, x]));
    assert.equal(by.get(0)?.status, 'ok');
    assert.equal(by.get(1)?.status, 'rejected');
    assert.match((by.get(1) as { reason: string }).reason, /CONFLICT: contacts already exists with this email\. Existing ID: \d+/);
    assert.equal(by.get(2)?.status, 'rejected');
    assert.equal((by.get(2) as { reason: string }).reason, 'HubSpot VALIDATION_ERROR: invalid value for lifecyclestage (INVALID_OPTION)');
    assert.equal(by.get(3)?.status, 'ok');
    const held = server.contents('contacts', 'ebb_customer_id');
    assert.ok(held.has('c-1000') && held.has('c-1003') && !held.has('c-1001') && !held.has('c-1002'));
  });

  it('update mode never creates; mirror deletes archive by HubSpot id', async () => {
    const d = open(config(server.url));
    const r = await d.write(batch([{ ...contact(1), op: 'update', fields: { ebb_customer_id: 'c-1', firstname: 'Ada' } }, { ...contact(9999), op: 'update' }]));
    assert.deepEqual(r.results.map((x) => x.status), ['ok', 'rejected']);
    assert.match((r.results[1] as { reason: string }).reason, /update mode never creates records/);
    assert.equal(server.contents('contacts', 'ebb_customer_id').get('c-1')?.firstname, 'Ada');
    const del = await d.write(batch([{ key: '2', op: 'delete', fields: { ebb_customer_id: 'c-2' } }, { key: 'x', op: 'delete', fields: { ebb_customer_id: 'never-there' } }]));
    assert.deepEqual(del.results.map((x) => x.status), ['ok', 'ok']);
    assert.ok(!server.contents('contacts', 'ebb_customer_id').has('c-2'));
  });

  it('custom objects work like the standard ones', async () => {
    const d = open(config(server.url));
    const r = await d.write(batch([{ key: 'p1', op: 'upsert', fields: { plate: 'AB-123', color: 'red' } }], '2-1234567', 'plate'));
    assert.equal(r.results[0].status, 'ok');
    assert.equal(server.contents('2-1234567', 'plate').get('AB-123')?.color, 'red');
  });

  it('describe() comes from the properties API: unique properties identify, read-only ones cannot be written', async () => {
    const d = open(config(server.url));
    const desc = await d.describe('contacts');
    const field = (n: string) => desc.fields.find((f) => f.name === n);
    assert.equal(field('ebb_customer_id')?.identifier, true);
    assert.equal(field('email')?.identifier, true);
    assert.equal(field('firstname')?.identifier, false);
    assert.equal(field('hs_object_id')?.updateable, false);
    assert.equal(field('lifecyclestage')?.type, 'enumeration');
  });

  it('readBack returns the written values and leaves out ids HubSpot does not hold', async () => {
    const d = open(config(server.url));
    const got = await d.readBack!({ object: 'contacts', idField: 'ebb_customer_id', ids: ['c-3', 'c-404'], fields: ['email', 'lifecyclestage'] });
    assert.deepEqual(got.get('c-3'), { email: 'person3@example.com', lifecyclestage: 'lead' });
    assert.ok(!got.has('c-404'));
  });

  it('a token without the scope is a non-retryable auth error naming the scope to grant', async () => {
    const d = open(config(server.url));
    const err = await d.check('deals').then(
      () => assert.fail('should be refused'),
      (e: unknown) => e,
    );
    assert.ok(isEbbError(err) && err.kind === 'auth' && err.nonRetryable);
    assert.match(err.message, /lacks a scope for deals .*grant the app crm\.objects\.deals\.read and \.write/);
  });

  it('429s are waited out through the shared budget: nothing is lost, and the budget slows the account down', async () => {
    const tight = await startHubSpotServer({ token: TOKEN, rateLimit: { max: 4, intervalMs: 1000 } });
    try {
      const budget = new MemoryRequestBudget();
      // The connector believes the limit is higher than it is, so the server answers 429s.
      const d = open(config(tight.url, { rateLimit: { requests: 8, perMs: 1000 } }), budget);
      const r = await d.write(batch(Array.from({ length: 1000 }, (_, i) => contact(5000 + i))));
      assert.equal(r.results.filter((x) => x.status === 'ok').length, 1000, 'every row landed');
      assert.equal(tight.contents('contacts', 'ebb_customer_id').size, 1000);
      assert.ok(tight.limit.refused > 0, 'the server did answer 429');
    } finally {
      await tight.close();
    }
  });

  it('reasons never quote the record: HubSpot\'s messages are reduced to property names and codes', () => {
    assert.equal(reasonOf({ category: 'VALIDATION_ERROR', message: 'Property values were not valid: [{"isValid":false,"message":"x@y was not valid","error":"INVALID_EMAIL","name":"email"}]' }), 'HubSpot VALIDATION_ERROR: invalid value for email (INVALID_EMAIL)');
    assert.match(reasonOf({ category: 'VALIDATION_ERROR', message: 'secret@example.com is invalid' }), /withheld/);
  });
});
