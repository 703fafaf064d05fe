/**
 * The google-ads destination, Data Manager path: the real @google-ads/datamanager client over
 * insecure gRPC against our Data Manager server (test/servers/google-ads), which enforces the
 * member cap, SHA-256 hex identifiers, EEA consent, auth, quota and list ownership.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isEbbError } from '../../../domain/errors';
import { MemoryRequestBudget } from '../../budget/memory-budget';
import { destinationConformance } from '../../conformance/destination-suite';
import { createConnectorContext } from '../../context';
import type { RecordWrite, WriteBatch } from '../../types';
import { startDataManagerServer, type DataManagerServer } from '../../../test/servers/google-ads/data-manager';
import { identifierKey, startOfflineUserDataJobServer, type OfflineUserDataJobServer } from '../../../test/servers/google-ads/offline-user-data-jobs';
import { googleAdsDestination } from './index';
import { hashEmail, sha256Hex } from './normalize';

const TOKEN = 'ya29.test-token';
const CUSTOMER = '1234567890';
const LIST = '9876543210';
let dm: DataManagerServer;
let quota: DataManagerServer;
process.env.EBB_GADS_TOKEN = TOKEN;
process.env.EBB_GADS_WRONG = 'ya29.wrong';

const config = (server: DataManagerServer, extra: Record<string, unknown> = {}) => ({
  customerId: CUSTOMER,
  accessToken: { env: 'EBB_GADS_TOKEN' },
  endpoint: { host: server.address, port: server.port, insecure: true },
  ...extra,
});

destinationConformance({
  connector: googleAdsDestination,
  setup: async () => {
    dm = await startDataManagerServer({ token: TOKEN, accounts: { [CUSTOMER]: [LIST] } });
    quota = await startDataManagerServer({ token: TOKEN, accounts: { [CUSTOMER]: [LIST] }, rateLimit: { max: 0, windowMs: 60_000 } });
  },
  teardown: async () => {
    await dm?.close();
    await quota?.close();
  },
  makeConfig: () => config(dm),
  requiredFields: ['customerId'],
  secretFields: ['accessToken'],
  object: LIST,
  idField: 'email',
  // The identity is the email itself (deletes carry only the identity field).
  fields: (id) => ({ email: id }),
  // The list holds hashed emails only: membership is what can be checked.
  membership: { contentKey: (id) => `email:${hashEmail(id)}` },
  readAll: async () => new Map([...(dm.lists.get(LIST) ?? new Map()).keys()].map((k) => [k, {}])),
  missingObject: '1111111111',
  faults: {
    rejectRow: () => ({ phone: 'x', country_code: 'DE', first_name: 'Erika', last_name: 'Muster', postal_code: '10115' }),
    rateLimited: () => config(quota),
    badAuth: () => config(dm, { accessToken: { env: 'EBB_GADS_WRONG' } }),
  },
});

describe('google-ads destination: Data Manager specifics', () => {
  let server: DataManagerServer;
  let seq = 0;
  const batch = (records: Omit<RecordWrite, 'seq'>[]): WriteBatch => {
    const recs = records.map((r) => ({ ...r, seq: ++seq }));
    return { object: LIST, idField: 'email', records: recs, idempotencyKey: `run:gads:${recs[0]?.seq}` };
  };
  const open = (raw: Record<string, unknown>) => googleAdsDestination.create(googleAdsDestination.configSchema.parse(raw), createConnectorContext({ budget: new MemoryRequestBudget() }));
  const list = () => server.lists.get(LIST)!;

  before(async () => {
    server = await startDataManagerServer({ token: TOKEN, accounts: { [CUSTOMER]: [LIST] } });
  });
  after(async () => server?.close());

  it('sends identifiers normalized and hashed, address parts in clear, and at most 10,000 members a request', async () => {
    const d = open(config(server, { phoneRegion: 'US' }));
    const records = Array.from({ length: 12_000 }, (_, i) => ({ key: String(i), op: 'upsert' as const, fields: { email: ` Person.${i}@Example.com ` } }));
    records[0] = { key: '0', op: 'upsert', fields: { email: 'Jane.Doe@gmail.com', phone: '(202) 555-0143', first_name: ' Jane ', last_name: 'DOE', country_code: 'us', postal_code: '94043' } as never };
    const r = await d.write(batch(records));
    assert.equal(r.results.filter((x) => x.status === 'ok').length, 12_000);
    assert.equal(server.maxMembersSeen, 10_000);
    const jane = list().get(`email:${sha256Hex('janedoe@gmail.com')}`) as { user_data: { user_identifiers: Array<Record<string, unknown>> } };
    assert.deepEqual(jane.user_data.user_identifiers, [
      { email_address: sha256Hex('janedoe@gmail.com') },
      { phone_number: sha256Hex('+12025550143') },
      { address: { given_name: sha256Hex('jane'), family_name: sha256Hex('doe'), region_code: 'US', postal_code: '94043' } },
    ]);
    assert.ok(list().has(`email:${sha256Hex('person.5@example.com')}`));
  });

  it('EEA users need consent: without it the row is rejected and never sent; with it, consent travels', async () => {
    const d = open(config(server));
    const before = server.calls.ingest;
    const r = await d.write(
      batch([
        { key: 'a', op: 'upsert', fields: { email: 'anna@example.de', country_code: 'DE' } },
        { key: 'b', op: 'upsert', fields: { email: 'bert@example.de', country_code: 'DE', ad_user_data: 'GRANTED', ad_personalization: false } },
      ]),
    );
    assert.equal(r.results[0].status, 'rejected');
    assert.match((r.results[0] as { reason: string }).reason, /consent is required for users in the EEA \(DE\)/);
    assert.equal(r.results[1].status, 'ok');
    assert.equal(server.calls.ingest - before, 1);
    assert.ok(!list().has(`email:${hashEmail('anna@example.de')}`));
    assert.deepEqual((list().get(`email:${hashEmail('bert@example.de')}`) as { consent: unknown }).consent, { ad_user_data: 'CONSENT_GRANTED', ad_personalization: 'CONSENT_DENIED' });
  });

  it('a member the API refuses is rejected with its violation, value-free; the rest of the request is sent again and lands', async () => {
    const d = open(config(server));
    const before = server.calls.ingest;
    const r = await d.write(
      batch([
        { key: 'ok1', op: 'upsert', fields: { email: 'ok1@example.com' } },
        // ZZ is not an assigned country: the API refuses the whole request, naming this member.
        { key: 'bad', op: 'upsert', fields: { email: 'zz@example.com', first_name: 'Zed', last_name: 'Zulu', country_code: 'ZZ', postal_code: '00000' } },
        { key: 'ok2', op: 'upsert', fields: { email: 'ok2@example.com' } },
      ]),
    );
    assert.deepEqual(r.results.map((x) => x.status), ['ok', 'rejected', 'ok']);
    assert.equal((r.results[1] as { reason: string }).reason, 'Google Ads INVALID_COUNTRY_CODE on user_data.user_identifiers[1].address.region_code');
    assert.equal(server.calls.ingest - before, 2, 'refused once, then sent without the bad member');
    assert.ok(list().has(`email:${hashEmail('ok1@example.com')}`) && list().has(`email:${hashEmail('ok2@example.com')}`));
    assert.ok(!list().has(`email:${hashEmail('zz@example.com')}`));
  });

  it('removes and adds never share a request; deletes remove members', async () => {
    const d = open(config(server));
    await d.write(batch([{ key: 'r1', op: 'upsert', fields: { email: 'gone@example.com' } }]));
    const before = { ...server.calls };
    const r = await d.write(batch([{ key: 'r1', op: 'delete', fields: { email: 'gone@example.com' } }, { key: 'r2', op: 'upsert', fields: { email: 'stays@example.com' } }]));
    assert.deepEqual(r.results.map((x) => x.status), ['ok', 'ok']);
    assert.equal(server.calls.ingest - before.ingest, 1);
    assert.equal(server.calls.remove - before.remove, 1);
    assert.ok(!list().has(`email:${hashEmail('gone@example.com')}`));
    assert.ok(list().has(`email:${hashEmail('stays@example.com')}`));
  });

  it('a list the account does not have is a config error; refused credentials are non-retryable', async () => {
    const missing = await open(config(server)).check('5555555555').then(
      () => assert.fail('should fail'),
      (e: unknown) => e,
    );
    assert.ok(isEbbError(missing) && missing.kind === 'config');
    const other = await open(config(server, { customerId: '2222222222' })).check(LIST).then(
      () => assert.fail('should fail'),
      (e: unknown) => e,
    );
    assert.ok(isEbbError(other) && other.kind === 'auth' && other.nonRetryable);
    assert.match(other.message, /grant the credentials' user or service account access to account 2222222222/);
  });
});

// The OfflineUserDataJobs path: the real google-ads-api over insecure gRPC to our server.
let jobsServer: OfflineUserDataJobServer;
let jobsLimited: OfflineUserDataJobServer;
process.env.EBB_GADS_DEV_TOKEN = 'dev-token';
process.env.EBB_GADS_DEV_WRONG = 'wrong-dev-token';
process.env.EBB_GADS_SECRET = 'client-secret';
process.env.EBB_GADS_REFRESH = 'refresh-token';
const jobsConfig = (extra: Record<string, unknown> = {}) => ({
  api: 'offline-user-data-jobs',
  customerId: CUSTOMER,
  developerToken: { env: 'EBB_GADS_DEV_TOKEN' },
  oauth: { clientId: 'client-id', clientSecret: { env: 'EBB_GADS_SECRET' }, refreshToken: { env: 'EBB_GADS_REFRESH' } },
  endpoint: { host: jobsServer.address, port: jobsServer.port, insecure: true },
  ...extra,
});
const listName = `customers/${CUSTOMER}/userLists/${LIST}`;

destinationConformance({
  connector: googleAdsDestination,
  setup: async () => {
    jobsServer = await startOfflineUserDataJobServer({ developerToken: 'dev-token', customers: { [CUSTOMER]: [LIST] } });
    jobsLimited = await startOfflineUserDataJobServer({ developerToken: 'dev-token', customers: { [CUSTOMER]: [LIST] }, rateLimit: { max: 0, windowMs: 60_000 } });
  },
  teardown: async () => {
    await jobsServer?.close();
    await jobsLimited?.close();
  },
  makeConfig: () => jobsConfig(),
  requiredFields: ['customerId'],
  secretFields: ['developerToken'],
  object: LIST,
  idField: 'email',
  fields: (id) => ({ email: id }),
  membership: { contentKey: (id) => `email:${hashEmail(id)}` },
  readAll: async () => new Map([...(jobsServer.lists.get(listName) ?? new Map()).keys()].map((k) => [k, {}])),
  missingObject: '1111111111',
  faults: {
    rejectRow: () => ({ country_code: 'ZZ', first_name: 'Zed', last_name: 'Zulu', postal_code: '00000' }),
    badAuth: () => jobsConfig({ developerToken: { env: 'EBB_GADS_DEV_WRONG' } }),
    rateLimited: () => jobsConfig({ endpoint: { host: jobsLimited.address, port: jobsLimited.port, insecure: true } }),
  },
});

describe('google-ads destination: OfflineUserDataJobs specifics', () => {
  let seq = 100_000;
  const batch = (records: Omit<RecordWrite, 'seq'>[]): WriteBatch => {
    const recs = records.map((r) => ({ ...r, seq: ++seq }));
    return { object: LIST, idField: 'email', records: recs, idempotencyKey: `run:oudj:${recs[0]?.seq}` };
  };
  const open = () => googleAdsDestination.create(googleAdsDestination.configSchema.parse(jobsConfig()), createConnectorContext({ budget: new MemoryRequestBudget() }));

  before(async () => {
    jobsServer = await startOfflineUserDataJobServer({ developerToken: 'dev-token', customers: { [CUSTOMER]: [LIST] } });
  });
  after(async () => jobsServer?.close());

  it('adds and removes go in separate jobs, each created, filled, run and polled to completion', async () => {
    const d = open();
    await d.write(batch([{ key: 'a', op: 'upsert', fields: { email: 'old@example.com' } }]));
    const jobsBefore = jobsServer.jobs.size;
    const r = await d.write(batch([{ key: 'a', op: 'delete', fields: { email: 'old@example.com' } }, { key: 'b', op: 'upsert', fields: { email: 'new@example.com', phone: '+33 1 23 45 67 89' } }]));
    assert.deepEqual(r.results.map((x) => x.status), ['ok', 'ok']);
    const jobs = [...jobsServer.jobs.values()].slice(jobsBefore);
    assert.deepEqual(jobs.map((j) => [j.kind, j.status]), [['create', 'SUCCESS'], ['remove', 'SUCCESS']]);
    const members = jobsServer.lists.get(listName)!;
    assert.ok(!members.has(`email:${hashEmail('old@example.com')}`));
    assert.deepEqual(members.get(`email:${hashEmail('new@example.com')}`), [{ hashed_email: hashEmail('new@example.com') }, { hashed_phone_number: sha256Hex('+33123456789') }]);
  });

  it('a bad operation is refused alone through partial failure, its code as the reason', async () => {
    const d = open();
    const r = await d.write(batch([{ key: 'x', op: 'upsert', fields: { email: 'x1@example.com' } }, { key: 'y', op: 'upsert', fields: { email: 'zz@example.com', first_name: 'Z', last_name: 'Z', country_code: 'ZZ', postal_code: '1' } }]));
    assert.deepEqual(r.results.map((x) => x.status), ['ok', 'rejected']);
    assert.equal((r.results[1] as { reason: string }).reason, 'Google Ads offline_user_data_job_error INVALID_COUNTRY_CODE');
    assert.ok(jobsServer.lists.get(listName)!.has(identifierKey([{ hashed_email: hashEmail('x1@example.com') }])));
  });
});
