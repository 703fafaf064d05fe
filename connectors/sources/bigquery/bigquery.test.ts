/**
 * The BigQuery source through the real @google-cloud/bigquery client, against goccy's
 * emulator behind test/servers/bigquery/front.ts (Google's authentication, permission and
 * fault answers). `source scripts/lib/bigquery-emulator.sh && ebb_ensure_bigquery_emulator`
 * builds the emulator once.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { BigQuery } from '@google-cloud/bigquery';
import { JWT } from 'google-auth-library';
import { sourceConformance } from '../../conformance/source-suite';
import { readRows, rejection } from '../../conformance/assertions';
import { createConnectorContext } from '../../context';
import type { Source } from '../../types';
import { startBigqueryEmulator, type BigqueryEmulator } from '../../../test/helpers/bigquery-emulator';
import { startBigqueryFront, type BigqueryFront } from '../../../test/servers/bigquery/front';
import { bigquerySource } from './index';
import { mapBigqueryError } from './errors';

const PROJECT = 'ebb-test';
const DATASET = 'ebb';
const EMAIL = `ebb-reader@${PROJECT}.iam.gserviceaccount.com`;

function serviceAccount(): { json: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const json = JSON.stringify({
    type: 'service_account',
    project_id: PROJECT,
    private_key_id: 'k1',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: EMAIL,
    client_id: '1',
  });
  return { json, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

const good = serviceAccount();
const impostor = serviceAccount(); // same email, a key BigQuery does not know
const env: NodeJS.ProcessEnv = { EBB_BQ_KEY: good.json, EBB_BQ_BAD_KEY: impostor.json, EBB_BQ_NOT_JSON: 'private_key=hunter2' };
const ctx = createConnectorContext({ env });

let started: Promise<{ emulator: BigqueryEmulator; front: BigqueryFront; admin: BigQuery }> | undefined;
/** The emulator, its front and an admin client, started on first use and shared by every case. */
function servers() {
  started ??= (async () => {
    const emulator = await startBigqueryEmulator({ project: PROJECT, dataset: DATASET });
    const front = await startBigqueryFront(emulator.url);
    front.trust(EMAIL, good.publicPem);
    const jwt = new JWT({ scopes: ['https://www.googleapis.com/auth/bigquery'] });
    jwt.fromJSON(JSON.parse(good.json) as Record<string, string>);
    jwt.useJWTAccessWithScope = true;
    const admin = new BigQuery({ projectId: PROJECT, apiEndpoint: emulator.url, authClient: jwt });
    return { emulator, front, admin };
  })();
  return started;
}

after(async () => {
  if (!started) return;
  const { emulator, front } = await started;
  await front.close();
  await emulator.stop();
});

async function run(sql: string): Promise<void> {
  const { admin } = await servers();
  const [job] = await admin.createQueryJob({ query: sql, useLegacySql: false });
  await job.getQueryResults({ maxResults: 1 });
}

const config = async (extra: Record<string, unknown> = {}) => ({
  projectId: PROJECT,
  credentials: { env: 'EBB_BQ_KEY' },
  apiEndpoint: (await servers()).front.url,
  pageSize: 2000,
  ...extra,
});

const PEOPLE_ROWS = (from: number, to: number) => `
  SELECT i, CONCAT('person', CAST(i AS STRING), '@example.com'), i / 4,
         TIMESTAMP_ADD(TIMESTAMP_ADD(TIMESTAMP '2024-01-01 00:00:00+00', INTERVAL i MINUTE), INTERVAL MOD(i, 1000) MICROSECOND)
  FROM UNNEST(GENERATE_ARRAY(${from}, ${to})) AS i`;

/** Inserts ids from..to in slices, so no single statement builds a huge array. */
async function insertPeople(table: string, from: number, to: number): Promise<void> {
  for (let lo = from; lo <= to; lo += 100_000) await run(`INSERT INTO ${table} ${PEOPLE_ROWS(lo, Math.min(to, lo + 99_999))}`);
}

sourceConformance({
  connector: bigquerySource,
  ctx,
  // goccy's emulator keeps tables in an in-process SQLite that runs out of memory holding 1M
  // rows of this table ("googlesqlite: panic sqlite3: out of memory"): the memory case streams
  // 300k here, still 300 pages of 1,000; the other sources stream 1M.
  memoryRows: 300_000,
  makeConfig: () => config(),
  badAuthConfig: () => config({ credentials: { env: 'EBB_BQ_BAD_KEY' } }),
  secretFields: ['credentials'],
  async setup(rows) {
    const table = `${DATASET}.people`;
    await run(`CREATE OR REPLACE TABLE ${table} (id INT64, email STRING, score FLOAT64, updated_at TIMESTAMP)`);
    await insertPeople(table, 1, rows);
    return {
      model: { table },
      async insertMore(n) {
        const { admin } = await servers();
        const [job] = await admin.createQueryJob({ query: `SELECT COALESCE(MAX(id), 0) AS m FROM ${table}` });
        const [[{ m }]] = (await job.getQueryResults()) as unknown as [[{ m: number }]];
        await insertPeople(table, m + 1, m + n);
      },
      async deleteSome(ids) {
        await run(`DELETE FROM ${table} WHERE id IN UNNEST([${ids.map(Number).join(', ')}])`);
      },
    };
  },
});

describe('bigquery source', () => {
  const sources: Source[] = [];
  const create = async (extra: Record<string, unknown> = {}) => {
    const source = bigquerySource.create(bigquerySource.configSchema.parse(await config(extra)), ctx);
    sources.push(source);
    return source;
  };
  after(async () => {
    await Promise.all(sources.map((s) => s.close()));
  });

  test('values: BigQuery types become the same JSON values as other sources (exact INT64/NUMERIC, ISO TIMESTAMP)', async () => {
    const source = await create();
    const [row] = await readRows(
      source,
      `SELECT 42 AS small, 9007199254740993 AS big_unsafe, NUMERIC '12.5' AS dec, NUMERIC '123456789012345678.12' AS dec_wide,
              BIGNUMERIC '1.5' AS bignum, 0.1 AS dbl, IEEE_DIVIDE(1, 0) AS inf, TRUE AS bool, 'héllo' AS text,
              DATE '2024-02-29' AS day, DATETIME '2024-01-02 03:04:05.5' AS wall, TIME '01:02:03' AS tod,
              TIMESTAMP '2024-01-02 05:04:05.123456+02' AS ts, b'AB' AS bytes, [1, 9007199254740993] AS bigs,
              STRUCT(1 AS a, 'x' AS b) AS rec, JSON '{"a": [1, 2]}' AS doc, CAST(NULL AS STRING) AS nothing`,
    );
    assert.deepEqual(row, {
      small: 42,
      big_unsafe: '9007199254740993',
      dec: 12.5,
      dec_wide: '123456789012345678.12',
      bignum: 1.5,
      dbl: 0.1,
      inf: 'Infinity',
      bool: true,
      text: 'héllo',
      day: '2024-02-29',
      wall: '2024-01-02T03:04:05.500000Z',
      tod: '01:02:03',
      ts: '2024-01-02T03:04:05.123456Z',
      bytes: 'QUI=',
      bigs: [1, '9007199254740993'],
      rec: { a: 1, b: 'x' },
      doc: { a: [1, 2] },
      nothing: null,
    });
  });

  test('read: one query job, then getQueryResults pages of pageSize rows (raw, int64 timestamps)', async () => {
    const { front } = await servers();
    await run(`CREATE OR REPLACE TABLE ${DATASET}.paged AS SELECT i AS id FROM UNNEST(GENERATE_ARRAY(1, 5000)) AS i`);
    const source = await create({ pageSize: 1000 });
    const before = front.forwarded.length;
    const rows = await readRows(source, `SELECT id FROM ${DATASET}.paged`);
    assert.equal(rows.length, 5000);
    const calls = front.forwarded.slice(before);
    assert.equal(calls.filter((c) => c.method === 'POST' && c.path.endsWith('/jobs')).length, 1, 'one job per read');
    const pages = calls.filter((c) => c.method === 'GET' && c.path.includes('/queries/'));
    assert.equal(pages.length, 5, 'five pages of 1000');
    assert.ok(pages.every((p) => p.query.get('maxResults') === '1000' && p.query.get('formatOptions.useInt64Timestamp') === 'true'));
    assert.deepEqual(pages.slice(1).map((p) => p.query.get('pageToken') !== null), [true, true, true, true]);
  });

  test('read: a page that fails with 503 is asked again and returns the same rows; too many failures are transient', async () => {
    const { front } = await servers();
    const source = await create({ pageSize: 1000 });
    const model = { sql: `SELECT id FROM ${DATASET}.paged` };
    const clean = (await readRows(source, model.sql)).map((r) => r.id);
    front.failNext(2, { status: 503, reason: 'backendError', match: (r) => r.path.includes('/queries/') && r.query.has('pageToken') });
    const retried = (await readRows(source, model.sql)).map((r) => r.id);
    assert.deepEqual(retried, clean, 'same rows, same order, none twice');
    front.failNext(10, { status: 503, reason: 'backendError', match: (r) => r.path.includes('/queries/') });
    const err = await rejection(readRows(source, model.sql));
    assert.equal(err.kind, 'transient');
    assert.equal(err.nonRetryable, false);
    front.clearFaults();
  });

  test('read: a consumer that stops early stops the job and fetches no further page', async () => {
    const { front } = await servers();
    await run(`CREATE OR REPLACE TABLE ${DATASET}.early AS SELECT i AS id FROM UNNEST(GENERATE_ARRAY(1, 5000)) AS i`);
    const source = await create({ pageSize: 1000 });
    const before = front.forwarded.length;
    for await (const batch of source.read({ model: { table: `${DATASET}.early` }, batchSize: 100 })) {
      assert.equal(batch.length, 100);
      break;
    }
    const calls = front.forwarded.slice(before);
    assert.equal(calls.filter((c) => c.path.includes('/queries/')).length, 1, 'one page fetched');
    assert.equal(calls.filter((c) => c.method === 'POST' && c.path.endsWith('/cancel')).length, 1, 'the job is cancelled');
  });

  test('errors: rateLimitExceeded (403) is a retryable rate-limit error, not a permission error', async () => {
    const { front } = await servers();
    const source = await create();
    front.failNext(10, { status: 403, reason: 'rateLimitExceeded', match: (r) => r.method === 'POST' && r.path.endsWith('/jobs') });
    const err = await rejection(source.check({ table: `${DATASET}.paged` }));
    front.clearFaults();
    assert.equal(err.kind, 'rateLimit');
    assert.equal(err.nonRetryable, false);
  });

  test('errors: a dataset the account may not read is a non-retryable auth error naming the table', async () => {
    const { front } = await servers();
    front.deny('payroll');
    const source = await create();
    for (const attempt of [() => source.check({ table: 'payroll.salaries' }), () => readRows(source, 'SELECT * FROM payroll.salaries')]) {
      const err = await rejection(attempt());
      assert.equal(err.kind, 'auth');
      assert.ok(err.nonRetryable);
      assert.match(err.message, /permission denied/);
    }
  });

  test('errors: a missing dataset is config; an unreachable endpoint is transient', async () => {
    const source = await create();
    const missing = await rejection(source.columns({ table: 'ebb_no_such_dataset.people' }));
    assert.equal(missing.kind, 'config');
    assert.match(missing.message, /ebb_no_such_dataset/);
    const down = await rejection((await create({ apiEndpoint: 'http://127.0.0.1:1' })).check({ table: `${DATASET}.paged` }));
    assert.equal(down.kind, 'transient');
    assert.match(down.message, /cannot reach BigQuery/);
  });

  test('errors: a key that is not JSON is a config error that never echoes it; a malformed table path is config', async () => {
    const source = await create({ credentials: { env: 'EBB_BQ_NOT_JSON' } });
    const err = await rejection(source.check({ table: `${DATASET}.paged` }));
    assert.equal(err.kind, 'config');
    assert.match(err.message, /source\.connection\.credentials/);
    assert.doesNotMatch(err.message, /hunter2/);
    const bad = await rejection((await create()).check({ table: 'ebb.pe`ople' }));
    assert.equal(bad.kind, 'config');
  });

  test('config: a default dataset resolves unqualified table names; watermarks on DATE and DATETIME compare instants', async () => {
    const source = await create({ dataset: DATASET });
    await run(`CREATE OR REPLACE TABLE ${DATASET}.clock AS
               SELECT i AS id, DATETIME_ADD(DATETIME '2024-01-01 00:00:00', INTERVAL i HOUR) AS wall, DATE_ADD(DATE '2024-01-01', INTERVAL i DAY) AS day
               FROM UNNEST(GENERATE_ARRAY(1, 48)) AS i`);
    assert.equal((await readRows(source, 'SELECT COUNT(*) AS n FROM clock'))[0].n, 48);
    const since = async (column: string, value: string) => {
      const ids: number[] = [];
      for await (const b of source.read({ model: { table: 'clock' }, since: { column, value } })) ids.push(...b.map((r) => Number(r.id)));
      return ids.sort((a, b) => a - b);
    };
    assert.deepEqual(await since('wall', '2024-01-02T23:00:00+02:00'), [45, 46, 47, 48]);
    assert.deepEqual(await since('day', '2024-02-16T00:00:00Z'), [46, 47, 48]);
  });

  test('errors: messages are one bounded line with values redacted; internal job errors are retried', () => {
    const scope = { source: 'bigquery source project p', object: 'model (sql)' };
    const apiError = (code: number, reason: string, message: string) => Object.assign(new Error(message), { code, errors: [{ reason, message }] });
    const panic = mapBigqueryError(apiError(400, 'jobInternalError', `failed to add job: out of memory\ngoroutine 15 [running]:\n${'frame\n'.repeat(500)}`), scope);
    assert.equal(panic.kind, 'transient');
    assert.doesNotMatch(panic.message, /\n|goroutine/);
    const data = mapBigqueryError(apiError(400, 'invalidQuery', "Bad int64 value: 'secret-123'"), scope);
    assert.equal(data.kind, 'data');
    assert.doesNotMatch(data.message, /secret|123/);
    const noAdc = mapBigqueryError(new Error('Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication'), scope);
    assert.equal(noAdc.kind, 'config');
    assert.match(noAdc.message, /source\.connection\.credentials/);
    const quota = mapBigqueryError(apiError(403, 'quotaExceeded', 'Quota exceeded: Your project exceeded quota for concurrent queries.'), scope);
    assert.equal(quota.kind, 'rateLimit');
  });
});
