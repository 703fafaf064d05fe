/**
 * The salesforce destination, driven through the real jsforce over HTTP against our
 * Salesforce-compatible server (test/servers/salesforce), which enforces the 200-record
 * Collections cap, the save rules, Bulk API 2.0's routes and CSV results, SOQL paging, the daily
 * API allocation and token auth. Mapping checks, auth flows and retries: ./salesforce-checks.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Connection } from 'jsforce';
import { isEbbError } from '../../../domain/errors';
import { MemoryRequestBudget } from '../../budget/memory-budget';
import { destinationConformance } from '../../conformance/destination-suite';
import { createConnectorContext } from '../../context';
import type { RateLimit, RecordWrite, RequestBudget, WriteBatch } from '../../types';
import { startSalesforceServer, type SalesforceServer } from '../../../test/servers/salesforce/server';
import { salesforceDestination } from './index';

export const TOKEN = '00Dxx0000000001!AQ4AQ.test';
process.env.EBB_SF_TOKEN = TOKEN;
process.env.EBB_SF_WRONG = '00Dxx!wrong';
let org: SalesforceServer;
let exhausted: SalesforceServer;

const config = (url: string, extra: Record<string, unknown> = {}) => ({ instanceUrl: url, accessToken: { env: 'EBB_SF_TOKEN' }, bulkPollIntervalMs: 10, ...extra });

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

/** A budget that records what it was asked for. */
class RecordingBudget implements RequestBudget {
  readonly takes: Array<{ account: string; limit: RateLimit; cost: number }> = [];
  readonly penalties: string[] = [];
  private readonly inner = new MemoryRequestBudget();
  take(account: string, limit: RateLimit, cost = 1) {
    this.takes.push({ account, limit, cost });
    return this.inner.take(account, limit, cost);
  }
  async penalize(account: string) {
    this.penalties.push(account);
  }
}

describe('salesforce destination: specifics', () => {
  let server: SalesforceServer;
  let seq = 0;
  const batch = (records: Omit<RecordWrite, 'seq'>[], object = 'Contact', idField = 'Ebb_Id__c'): WriteBatch => {
    const recs = records.map((r) => ({ ...r, seq: ++seq }));
    return { object, idField, records: recs, idempotencyKey: `run:sf:${recs[0]?.seq}` };
  };
  const contact = (n: number, extra: Record<string, unknown> = {}, op: RecordWrite['op'] = 'upsert'): Omit<RecordWrite, 'seq'> => ({
    key: String(n),
    op,
    fields: { Ebb_Id__c: `c-${n}`, LastName: `Person ${n}`, Email: `p${n}@example.com`, ...extra },
  });
  const open = (raw: Record<string, unknown>, budget: RequestBudget = new MemoryRequestBudget()) =>
    salesforceDestination.create(salesforceDestination.configSchema.parse(raw), createConnectorContext({ budget }));
  const statuses = (r: { results: Array<{ status: string }> }) => r.results.map((x) => x.status);
  const reasons = (r: { results: Array<{ status: string; reason?: string }> }) => r.results.filter((x) => x.status !== 'ok').map((x) => x.reason);
  const delta = (before: Record<string, number>, key: string) => (server.calls[key] ?? 0) - (before[key] ?? 0);
  const stored = (ext: string) => server.contents('Contact', 'Ebb_Id__c').get(ext);

  before(async () => {
    server = await startSalesforceServer({ token: TOKEN, dailyApiLimit: 100_000, queryPageSize: 50, bulkPollsInProgress: 2 });
  });
  after(async () => server?.close());

  it('the server refuses a Collections call over 200 records, as Salesforce does', async () => {
    const conn = new Connection({ instanceUrl: server.url, accessToken: TOKEN, version: '62.0' });
    const records = Array.from({ length: 201 }, (_, i) => ({ Ebb_Id__c: `raw-${i}`, LastName: 'x' }));
    await assert.rejects(conn.sobject('Contact').upsert(records, 'Ebb_Id__c'), (e: { errorCode?: string }) => e.errorCode === 'EXCEEDED_ID_LIMIT');
  });

  it('Collections: 200 records a call; per-record failures carry status, field and a value-free message; neighbours land', async () => {
    const d = open(config(server.url));
    const before = { ...server.calls };
    const records = Array.from({ length: 450 }, (_, i) => contact(i));
    records[7] = contact(7, { LastName: 'Zebediah-'.repeat(10) });
    records[8] = contact(8, { LastName: null });
    records[9] = contact(9, { Score__c: 'twelve' });
    records[10] = contact(10, { Employee_Code__c: 'EMP-7' });
    records[11] = contact(11, { Employee_Code__c: 'EMP-7' });
    records[12] = contact(12, { Email: 'nobody-at-example' });
    const r = await d.write(batch(records));
    assert.equal(delta(before, 'collections.upsert'), 3);
    assert.equal(server.maxCollectionSeen, 200);
    assert.equal(statuses(r).filter((s) => s === 'ok').length, 445);
    const why = reasons(r);
    assert.match(why[0]!, /^Salesforce STRING_TOO_LONG on LastName: LastName: data value too large: … \(max length=80\)$/);
    assert.match(why[1]!, /^Salesforce REQUIRED_FIELD_MISSING on LastName: Required fields are missing: \[LastName\]$/);
    assert.match(why[2]!, /^Salesforce INVALID_TYPE_ON_FIELD_IN_RECORD on Score__c/);
    assert.match(why[3]!, /^Salesforce DUPLICATE_VALUE on Employee_Code__c: duplicate value found: Employee_Code__c duplicates value on record with id: 003/);
    assert.match(why[4]!, /^Salesforce INVALID_EMAIL_ADDRESS on Email/);
    for (const text of why) for (const v of ['Zebediah', 'twelve', 'EMP-7', 'nobody-at-example']) assert.ok(!text!.includes(v), `a reason quotes a value: ${text}`);
    assert.equal(server.contents('Contact', 'Ebb_Id__c').size >= 445, true);
    assert.equal(stored('c-10')?.Employee_Code__c, 'EMP-7', 'the first holder of a unique value landed');
    assert.equal(stored('c-11'), undefined);
  });

  it('a field made read-only after the describe is rejected per record (INVALID_FIELD_FOR_INSERT_UPDATE)', async () => {
    const d = open(config(server.url));
    assert.deepEqual(statuses(await d.write(batch([contact(20, { Title: 'CTO' })]))), ['ok']);
    const title = server.objects.get('Contact')!.fields.get('Title')!;
    title.createable = title.updateable = false;
    try {
      const r = await d.write(batch([contact(20, { Title: 'CEO' }), contact(21, { Title: 'CFO' })]));
      assert.deepEqual(statuses(r), ['rejected', 'rejected']);
      for (const why of reasons(r)) assert.match(why!, /^Salesforce INVALID_FIELD_FOR_INSERT_UPDATE on Title: Unable to create\/update fields: Title/);
      assert.equal(stored('c-20')?.Title, 'CTO');
    } finally {
      title.createable = title.updateable = true;
    }
  });

  it('Bulk API 2.0 at the threshold: one job through its six routes, failures matched back from the failed-results CSV', async () => {
    const d = open(config(server.url, { bulkThreshold: 300 }));
    const before = { ...server.calls };
    const records = Array.from({ length: 300 }, (_, i) => contact(1000 + i, { Score__c: i, HasOptedOutOfEmail: i % 2 === 0, Birthdate: new Date(Date.UTC(1990, 0, 1 + i)) }));
    records[5] = contact(1005, { Email: 'not-an-email' });
    records[250] = contact(1250, { LastName: 'Q'.repeat(81) });
    const r = await d.write(batch(records));
    assert.equal(statuses(r).filter((s) => s === 'ok').length, 298);
    assert.match((r.results[5] as { reason: string }).reason, /^Salesforce INVALID_EMAIL_ADDRESS on Email: Email: invalid email address: …$/);
    assert.match((r.results[250] as { reason: string }).reason, /^Salesforce STRING_TOO_LONG on LastName/);
    assert.equal(delta(before, 'bulk.POST'), 1, 'one job created');
    assert.equal(delta(before, 'bulk.PUT'), 1, 'one upload');
    assert.equal(delta(before, 'bulk.PATCH'), 1, 'closed once');
    assert.ok(delta(before, 'bulk.GET') >= 4, 'polled, then both result files read');
    assert.equal(delta(before, 'collections.upsert'), 0, 'no Collections call');
    assert.deepEqual(server.bulkJobStates().JobComplete >= 1, true);
    const c = stored('c-1010');
    assert.equal(c?.Score__c, 10);
    assert.equal(c?.HasOptedOutOfEmail, true, 'booleans are spelled out in the CSV');
    assert.equal(stored('c-1011')?.HasOptedOutOfEmail, false, 'false is not an empty (unchanged) cell');
    assert.equal(c?.Birthdate, '1990-01-11', 'a Date goes to a date field as YYYY-MM-DD');
  });

  it('update mode never creates: Ids looked up by external id, updated by Id through Collections and Bulk', async () => {
    const small = open(config(server.url));
    const before = { ...server.calls };
    const r = await small.write(batch([contact(1, { FirstName: 'Ada' }, 'update'), contact(99_999, {}, 'update')]));
    assert.deepEqual(statuses(r), ['ok', 'rejected']);
    assert.match(reasons(r)[0]!, /no Contact has this Ebb_Id__c; update mode never creates records/);
    assert.equal(stored('c-1')?.FirstName, 'Ada');
    assert.equal(stored('c-99999'), undefined);
    assert.equal(delta(before, 'collections.update'), 1);
    assert.equal(delta(before, 'collections.upsert'), 0);

    const bulk = open(config(server.url, { bulkThreshold: 3 }));
    const b = await bulk.write(batch([1, 2, 3, 88_888].map((n) => contact(n, { Title: `Role ${n}` }, 'update'))));
    assert.deepEqual(statuses(b), ['ok', 'ok', 'ok', 'rejected']);
    assert.equal(stored('c-3')?.Title, 'Role 3');
    assert.equal(stored('c-88888'), undefined);
    assert.equal(delta(before, 'bulk.POST'), 1, 'one update job');
  });

  it('mirror deletes by external id through Collections; ids already gone are ok', async () => {
    const d = open(config(server.url));
    const before = { ...server.calls };
    const del = await d.write(batch([{ key: '2', op: 'delete', fields: { Ebb_Id__c: 'c-2' } }, { key: 'x', op: 'delete', fields: { Ebb_Id__c: 'never-there' } }]));
    assert.deepEqual(statuses(del), ['ok', 'ok']);
    assert.equal(stored('c-2'), undefined);
    assert.equal(delta(before, 'collections.delete'), 1);
    const again = await d.write(batch([{ key: '2', op: 'delete', fields: { Ebb_Id__c: 'c-2' } }]));
    assert.deepEqual(statuses(again), ['ok']);
  });

  it('describe(): external ids identify, formula fields are read-only, required fields are flagged', async () => {
    const desc = await open(config(server.url)).describe('Contact');
    const f = (n: string) => desc.fields.find((x) => x.name === n);
    assert.equal(f('Ebb_Id__c')?.identifier, true);
    assert.equal(f('Id')?.identifier, true);
    assert.equal(f('Email')?.identifier, false);
    assert.equal(f('Name')?.createable, false);
    assert.equal(f('LastName')?.required, true);
    assert.equal(f('HasOptedOutOfEmail')?.required, false, 'defaulted on create');
  });

  it('readBack by external id follows nextRecordsUrl pages; absent ids are left out', async () => {
    const d = open(config(server.url));
    const ids = Array.from({ length: 120 }, (_, i) => 3000 + i);
    await d.write(batch(ids.map((n) => contact(n))));
    const before = { ...server.calls };
    const got = await d.readBack!({ object: 'Contact', idField: 'Ebb_Id__c', ids: [...ids.map((n) => `c-${n}`), 'never-written'], fields: ['LastName', 'Email'] });
    assert.equal(got.size, 120);
    assert.deepEqual(got.get('c-3007'), { LastName: 'Person 3007', Email: 'p3007@example.com' });
    assert.ok(!got.has('never-written'));
    assert.equal(delta(before, 'query'), 1);
    assert.equal(delta(before, 'query.more'), 2, '120 records in pages of 50');
  });

  it('every request takes from the org budget; the allocation comes from Sforce-Limit-Info once seen', async () => {
    const budget = new RecordingBudget();
    const d = open(config(server.url, { dailyApiLimit: 999, bulkThreshold: 2 }), budget);
    const before = server.apiUsage();
    await d.write(batch([contact(4000), contact(4001)]));
    await d.write(batch([contact(4002)]));
    assert.equal(budget.takes.reduce((n, t) => n + t.cost, 0), server.apiUsage() - before, 'one take per API request, Bulk ones included');
    assert.ok(budget.takes.every((t) => t.account === `salesforce:${new URL(server.url).host}` && t.limit.perMs === 86_400_000));
    assert.equal(budget.takes[0].limit.requests, 999, 'the configured allocation before any response');
    assert.equal(budget.takes.at(-1)!.limit.requests, 100_000, "the org's own allocation after");
  });

  it('a used-up daily allocation is a rateLimit error with the usage Sforce-Limit-Info reported; the org budget is penalized', async () => {
    const tiny = await startSalesforceServer({ token: TOKEN, dailyApiLimit: 3 });
    try {
      const budget = new RecordingBudget();
      const d = open(config(tiny.url), budget);
      await d.write(batch([contact(1)]));
      await d.write(batch([contact(2)]));
      const err = await d.write(batch([contact(3)])).then(
        () => assert.fail('should be refused'),
        (e: unknown) => e,
      );
      assert.ok(isEbbError(err) && err.kind === 'rateLimit', String(err));
      assert.ok((err.retryAfterMs ?? 0) >= 60_000);
      assert.match(err.message, /daily API allocation is used up \(3\/3 API calls used in the last 24 h\)/);
      assert.deepEqual(budget.penalties, [`salesforce:${new URL(tiny.url).host}`]);
    } finally {
      await tiny.close();
    }
  });
});
