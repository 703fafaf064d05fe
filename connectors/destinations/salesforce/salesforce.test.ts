/**
 * The salesforce destination, driven through the real jsforce over HTTP against our
 * Salesforce-compatible server (test/servers/salesforce), which enforces the 200-record
 * Collections cap, the save rules, Bulk API 2.0's routes and CSV results, the daily API
 * allocation and token auth.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isEbbError } from '../../../domain/errors';
import { MemoryRequestBudget } from '../../budget/memory-budget';
import { destinationConformance } from '../../conformance/destination-suite';
import { createConnectorContext } from '../../context';
import type { RecordWrite, WriteBatch } from '../../types';
import { startSalesforceServer, type SalesforceServer } from '../../../test/servers/salesforce/server';
import { salesforceDestination } from './index';
import { bulkReason } from './write';

const TOKEN = '00Dxx0000000001!AQ4AQ.test';
let org: SalesforceServer;
let exhausted: SalesforceServer;
process.env.EBB_SF_TOKEN = TOKEN;
process.env.EBB_SF_WRONG = '00Dxx!wrong';

const config = (url: string, extra: Record<string, unknown> = {}) => ({ instanceUrl: url, accessToken: { env: 'EBB_SF_TOKEN' }, ...extra });

destinationConformance({
  connector: salesforceDestination,
  setup: async () => {
    org = await startSalesforceServer({ token: TOKEN });
    exhausted = await startSalesforceServer({ token: TOKEN, dailyApiLimit: 0 });
  },
  teardown: async () => {
    await org?.close();
    await exhausted?.close();
  },
  makeConfig: () => config(org.url),
  requiredFields: ['instanceUrl', 'accessToken'],
  secretFields: ['accessToken'],
  object: 'Contact',
  idField: 'Ebb_Id__c',
  fields: (id, version) => ({ Ebb_Id__c: id, LastName: `${id} v${version}`, Score__c: version }),
  readAll: async () => org.contents('Contact', 'Ebb_Id__c'),
  missingObject: 'No_Such_Object__c',
  faults: {
    rejectRow: () => ({ Score__c: 'not-a-number' }),
    rateLimited: () => config(exhausted.url),
    badAuth: () => config(org.url, { accessToken: { env: 'EBB_SF_WRONG' } }),
  },
});

describe('salesforce destination: specifics', () => {
  let server: SalesforceServer;
  let seq = 0;
  const batch = (records: Omit<RecordWrite, 'seq'>[], object = 'Contact', idField = 'Ebb_Id__c'): WriteBatch => {
    const recs = records.map((r) => ({ ...r, seq: ++seq }));
    return { object, idField, records: recs, idempotencyKey: `run:sf:${recs[0]?.seq}` };
  };
  const contact = (n: number, extra: Record<string, unknown> = {}): Omit<RecordWrite, 'seq'> => ({
    key: String(n),
    op: 'upsert',
    fields: { Ebb_Id__c: `c-${n}`, LastName: `Person ${n}`, Email: `p${n}@example.com`, ...extra },
  });
  const open = (raw: Record<string, unknown>) => salesforceDestination.create(salesforceDestination.configSchema.parse(raw), createConnectorContext({ budget: new MemoryRequestBudget() }));
  const statuses = (r: { results: Array<{ status: string }> }) => r.results.map((x) => x.status);

  before(async () => {
    server = await startSalesforceServer({ token: TOKEN, dailyApiLimit: 100_000 });
  });
  after(async () => server?.close());

  it('Collections: at most 200 records a call, per-record failures with value-free reasons, neighbours land', async () => {
    const d = open(config(server.url));
    const records = Array.from({ length: 450 }, (_, i) => contact(i));
    records[7] = contact(7, { LastName: 'x'.repeat(81) });
    records[8] = contact(8, { LastName: null });
    records[9] = contact(9, { Name: 'formula field' });
    const r = await d.write(batch(records));
    assert.equal(server.maxCollectionSeen, 200);
    assert.equal(statuses(r).filter((s) => s === 'ok').length, 447);
    const reasons = r.results.filter((x) => x.status === 'rejected').map((x) => (x as { reason: string }).reason);
    assert.deepEqual(reasons, ['Salesforce STRING_TOO_LONG on LastName', 'Salesforce REQUIRED_FIELD_MISSING on LastName', 'Salesforce INVALID_FIELD_FOR_INSERT_UPDATE on Name']);
    assert.equal(server.contents('Contact', 'Ebb_Id__c').size, 447);
  });

  it('Bulk API 2.0 at the threshold: one ingest job, failures read from its CSV', async () => {
    const d = open(config(server.url, { bulkThreshold: 300 }));
    const before = { ...server.calls };
    const records = Array.from({ length: 300 }, (_, i) => contact(1000 + i, { Score__c: i }));
    records[5] = contact(1005, { Email: 'not-an-email' });
    const r = await d.write(batch(records));
    assert.equal(statuses(r).filter((s) => s === 'ok').length, 299);
    assert.deepEqual(r.results[5], { seq: r.results[5].seq, status: 'rejected', reason: 'Salesforce INVALID_EMAIL_ADDRESS on Email' });
    assert.equal((server.calls['bulk.POST'] ?? 0) - (before['bulk.POST'] ?? 0), 1, 'one job created');
    assert.equal((server.calls['collections.upsert'] ?? 0) - (before['collections.upsert'] ?? 0), 0, 'no Collections call');
    assert.equal(server.contents('Contact', 'Ebb_Id__c').get('c-1010')?.Score__c, 10);
  });

  it('update mode never creates; mirror deletes by external id', async () => {
    const d = open(config(server.url));
    const r = await d.write(batch([{ ...contact(1), op: 'update', fields: { Ebb_Id__c: 'c-1', FirstName: 'Ada' } }, { ...contact(99999), op: 'update' }]));
    assert.deepEqual(statuses(r), ['ok', 'rejected']);
    assert.match((r.results[1] as { reason: string }).reason, /update mode never creates records/);
    assert.equal(server.contents('Contact', 'Ebb_Id__c').get('c-1')?.FirstName, 'Ada');
    const del = await d.write(batch([{ key: '2', op: 'delete', fields: { Ebb_Id__c: 'c-2' } }, { key: 'x', op: 'delete', fields: { Ebb_Id__c: 'never-there' } }]));
    assert.deepEqual(statuses(del), ['ok', 'ok']);
    assert.ok(!server.contents('Contact', 'Ebb_Id__c').has('c-2'));
  });

  it('describe(): external ids identify, formula fields are read-only, required fields are flagged', async () => {
    const d = open(config(server.url));
    const desc = await d.describe('Contact');
    const f = (n: string) => desc.fields.find((x) => x.name === n);
    assert.equal(f('Ebb_Id__c')?.identifier, true);
    assert.equal(f('Email')?.identifier, false);
    assert.equal(f('Name')?.createable, false);
    assert.equal(f('LastName')?.required, true);
  });

  it('readBack by external id, absent ids left out', async () => {
    const d = open(config(server.url));
    await d.write(batch([contact(3)]));
    const got = await d.readBack!({ object: 'Contact', idField: 'Ebb_Id__c', ids: ['c-3', 'never-written'], fields: ['LastName', 'Email'] });
    assert.deepEqual(got.get('c-3'), { LastName: 'Person 3', Email: 'p3@example.com' });
    assert.ok(!got.has('never-written'));
  });

  it('a used-up daily allocation is a rateLimit error naming the usage Sforce-Limit-Info reported', async () => {
    const tiny = await startSalesforceServer({ token: TOKEN, dailyApiLimit: 2 });
    try {
      const d = open(config(tiny.url));
      await d.write(batch([contact(1)]));
      await d.write(batch([contact(2)]));
      const err = await d.write(batch([contact(3)])).then(
        () => assert.fail('should be refused'),
        (e: unknown) => e,
      );
      assert.ok(isEbbError(err) && err.kind === 'rateLimit');
      assert.match(err.message, /daily API allocation is used up \(2\/2 calls used today\)/);
    } finally {
      await tiny.close();
    }
  });

  it('Bulk error texts become value-free reasons', () => {
    assert.equal(bulkReason('STRING_TOO_LONG:Last Name: data value too large: Zed (max length=80):LastName --'), 'Salesforce STRING_TOO_LONG');
    assert.equal(bulkReason('REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName'), 'Salesforce REQUIRED_FIELD_MISSING on LastName');
  });
});
