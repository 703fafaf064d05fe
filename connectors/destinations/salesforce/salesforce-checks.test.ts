/**
 * The salesforce destination's guards, through the real jsforce against our Salesforce-compatible
 * server: the describe-based mapping check (config errors before any write), the OAuth 2.0
 * client-credentials flow and token re-issue, refused tokens, in-place retries of 5xx answers,
 * a Bulk job that outlives its timeout, and how Salesforce's error texts become reasons.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isEbbError, type EbbError } from '../../../domain/errors';
import { createConnectorContext } from '../../context';
import type { RecordWrite, WriteBatch } from '../../types';
import { startSalesforceServer, type SalesforceServer } from '../../../test/servers/salesforce/server';
import { parseBulkError, recordReason } from './errors';
import { salesforceDestination } from './index';

const TOKEN = '00Dxx0000000001!AQ4AQ.checks';
process.env.EBB_SF_CHECKS_TOKEN = TOKEN;
process.env.EBB_SF_CHECKS_WRONG = '00Dxx!wrong-token-value';
process.env.EBB_SF_APP_ID = '3MVG9-consumer-key';
process.env.EBB_SF_APP_SECRET = 'consumer-secret-1234';
process.env.EBB_SF_APP_BAD = 'not-the-secret';

let server: SalesforceServer;
let seq = 0;
const config = (extra: Record<string, unknown> = {}) => ({ instanceUrl: server.url, accessToken: { env: 'EBB_SF_CHECKS_TOKEN' }, bulkPollIntervalMs: 10, ...extra });
const app = (secret = 'EBB_SF_APP_SECRET') => ({ instanceUrl: server.url, clientId: { env: 'EBB_SF_APP_ID' }, clientSecret: { env: secret } });
const open = (raw: Record<string, unknown>) => salesforceDestination.create(salesforceDestination.configSchema.parse(raw), createConnectorContext());
const batch = (fields: Array<Record<string, unknown>>, op: RecordWrite['op'] = 'upsert', idField = 'Ebb_Id__c'): WriteBatch => ({
  object: 'Contact',
  idField,
  records: fields.map((f, i) => ({ seq: ++seq, key: String(i), op, fields: f })),
  idempotencyKey: `run:sf:${seq}`,
});
const person = (n: number, extra: Record<string, unknown> = {}) => ({ Ebb_Id__c: `k-${n}`, LastName: `Person ${n}`, ...extra });
const failure = async (p: Promise<unknown>): Promise<EbbError> => {
  const err = await p.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(isEbbError(err), String(err));
  return err;
};

before(async () => {
  server = await startSalesforceServer({ token: TOKEN, connectedApp: { clientId: '3MVG9-consumer-key', clientSecret: 'consumer-secret-1234' }, bulkPollsInProgress: 1_000 });
});
after(async () => server?.close());

describe('salesforce destination: the mapping is checked against describe before anything is written', () => {
  const cases: Array<[string, WriteBatch, RegExp]> = [
    ['an idField that is not an External ID', batch([{ Email: 'a@example.com', LastName: 'A' }], 'upsert', 'Email'), /Contact\.Email: not an External ID field.*mark it "External ID"/],
    ['an idField the object lacks', batch([{ Ebb_Key__c: 'x', LastName: 'A' }], 'upsert', 'Ebb_Key__c'), /Contact\.Ebb_Key__c: no such field \(the sync's idField\)/],
    ['a field the object lacks, with the likely name', batch([person(1, { lastname: 'A' })]), /Contact\.lastname: no such field \(did you mean LastName\?\); fix the mapping/],
    ['a field that cannot be created', batch([person(1, { Name: 'Full Name' })]), /Contact\.Name: not createable .*remove it from the mapping/],
    ['a field that cannot be updated, in update mode', batch([person(1, { Name: 'Full Name' })], 'update'), /Contact\.Name: not updateable/],
    ['booleans for a number field', batch([person(1, { Score__c: true })]), /Contact\.Score__c: a double field, but the mapping sends boolean values; cast the model column/],
    ['numbers for a date field', batch([person(1, { Birthdate: 19_900_101 })]), /Contact\.Birthdate: a date field, but the mapping sends number values/],
    ['objects for a text field', batch([person(1, { Title: { level: 3 } })]), /Contact\.Title: a string field, but the mapping sends object values/],
  ];
  for (const [name, b, message] of cases) {
    it(`${name} is a non-retryable config error naming object, field and fix; nothing is written`, async () => {
      const before = server.apiUsage();
      const err = await failure(open(config()).write(b));
      assert.equal(err.kind, 'config');
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, message);
      assert.ok(!/Person 1|Full Name|a@example\.com/.test(err.message), 'no row value in the message');
      assert.equal(server.apiUsage() - before, 1, 'only the describe call');
    });
  }

  it('strings fit any field type (a bad one is its row’s problem), and deletes carry only the id', async () => {
    const d = open(config());
    const r = await d.write(batch([person(2, { Score__c: '12.5', Birthdate: '1990-02-03', HasOptedOutOfEmail: 'true' })]));
    assert.deepEqual(r.results.map((x) => x.status), ['ok']);
    assert.equal(server.contents('Contact', 'Ebb_Id__c').get('k-2')?.Score__c, 12.5);
    const del = await d.write(batch([{ Ebb_Id__c: 'k-2' }], 'delete'));
    assert.deepEqual(del.results.map((x) => x.status), ['ok']);
  });
});

describe('salesforce destination: credentials', () => {
  it('client credentials: a token is requested once, and re-issued when the org expires it', async () => {
    const d = open(app());
    const before = server.calls['oauth.token'] ?? 0;
    assert.deepEqual((await d.write(batch([person(10)]))).results.map((x) => x.status), ['ok']);
    assert.equal((server.calls['oauth.token'] ?? 0) - before, 1);
    server.expireIssuedTokens();
    assert.deepEqual((await d.write(batch([person(11)]))).results.map((x) => x.status), ['ok']);
    assert.equal((server.calls['oauth.token'] ?? 0) - before, 2);
    assert.ok(server.contents('Contact', 'Ebb_Id__c').has('k-11'));
  });

  it('a re-issued token refused again is an auth error, not a loop', async () => {
    const d = open(app());
    await d.check('Contact');
    server.expireIssuedTokens();
    assert.deepEqual((await d.write(batch([person(13)]))).results.map((x) => x.status), ['ok'], 'the first re-issue works');
    server.expireIssuedTokens();
    const err = await failure(d.write(batch([person(14)])));
    assert.equal(err.kind, 'auth');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /refused a token it had just issued/);
  });

  it('client credentials refused: a non-retryable auth error naming the settings to fix, no secret in it', async () => {
    const err = await failure(open(app('EBB_SF_APP_BAD')).check('Contact'));
    assert.equal(err.kind, 'auth');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /invalid_client.*connection\.clientId/);
    assert.ok(!err.message.includes('not-the-secret') && !err.message.includes('consumer-secret'));
  });

  it('a refused token (401 INVALID_SESSION_ID) is non-retryable from describe, write and readBack', async () => {
    const d = open(config({ accessToken: { env: 'EBB_SF_CHECKS_WRONG' } }));
    for (const call of [d.describe('Contact'), d.write(batch([person(12)])), d.readBack!({ object: 'Contact', idField: 'Ebb_Id__c', ids: ['k-1'], fields: ['LastName'] })]) {
      const err = await failure(call);
      assert.equal(err.kind, 'auth');
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, /INVALID_SESSION_ID.*connection\.accessToken/);
      assert.ok(!err.message.includes('wrong-token-value'));
    }
  });

  it('config: client credentials need both halves, and exclude an access token', () => {
    const paths = (raw: Record<string, unknown>) => salesforceDestination.configSchema.safeParse(raw).error?.issues.map((i) => i.path.join('.'));
    assert.deepEqual(paths({ instanceUrl: 'https://acme.my.salesforce.com', clientId: { env: 'X' } }), ['clientSecret']);
    assert.deepEqual(paths({ instanceUrl: 'https://acme.my.salesforce.com', clientId: { env: 'X' }, clientSecret: { env: 'Y' }, accessToken: { env: 'Z' } }), ['accessToken']);
  });
});

describe('salesforce destination: transient failures', () => {
  it('5xx answers are retried in place; past maxAttempts they are a retryable transient error', async () => {
    server.failNext(2, 503);
    assert.deepEqual((await open(config()).write(batch([person(20)]))).results.map((x) => x.status), ['ok']);
    server.failNext(5, 503);
    const err = await failure(open(config({ maxAttempts: 2 })).write(batch([person(21)])));
    assert.equal(err.kind, 'transient');
    assert.equal(err.nonRetryable, false);
    assert.match(err.message, /SERVER_UNAVAILABLE.*API calls used/);
    server.failNext(0);
  });

  it('a Bulk job still running at bulkTimeoutMs is aborted and the batch is a transient error', async () => {
    const d = open(config({ bulkThreshold: 2, bulkTimeoutMs: 1_000, bulkPollIntervalMs: 50 }));
    const err = await failure(d.write(batch([person(30), person(31)])));
    assert.equal(err.kind, 'transient');
    assert.match(err.message, /was still InProgress after 1 s; it was aborted/);
    assert.equal(server.bulkJobStates().Aborted, 1);
  });
});

describe('salesforce destination: the org changes under a running sync', () => {
  it('a field deleted after the describe fails the Bulk job as a whole: a config error naming it', async () => {
    const org = await startSalesforceServer({ token: TOKEN });
    try {
      const d = salesforceDestination.create(salesforceDestination.configSchema.parse({ ...config(), instanceUrl: org.url, bulkThreshold: 2 }), createConnectorContext());
      await d.check('Contact');
      org.objects.get('Contact')!.fields.delete('Title');
      const err = await failure(d.write(batch([person(40, { Title: 'A' }), person(41, { Title: 'B' })])));
      assert.equal(err.kind, 'config');
      assert.match(err.message, /Bulk API 2\.0 job 750\w+ failed \(InvalidBatch : Field name not found : Title\)/);
      assert.equal(org.contents('Contact', 'Ebb_Id__c').size, 0);
    } finally {
      await org.close();
    }
  });
});

describe('salesforce destination: reasons', () => {
  it('Bulk sf__Error texts parse into status, message and fields', () => {
    assert.deepEqual(parseBulkError('REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --'), [
      { statusCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [LastName]', fields: ['LastName'] },
    ]);
    assert.deepEqual(parseBulkError('ENTITY_IS_DELETED:entity is deleted:--'), [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }]);
  });

  it("a reason keeps Salesforce's words and drops the record's values", () => {
    const values = { LastName: 'Zed Zedson', Email: 'zed@example.com', Ebb_Id__c: 'k-1' };
    const reason = recordReason([{ statusCode: 'STRING_TOO_LONG', message: 'Last Name: data value too large: Zed Zedson (max length=5)', fields: ['LastName'] }], values);
    assert.equal(reason, 'Salesforce STRING_TOO_LONG on LastName: Last Name: data value too large: … (max length=5)');
  });
});
