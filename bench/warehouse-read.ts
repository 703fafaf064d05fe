/**
 * One-off read throughput of the warehouse sources: rows/s streaming an N-row `people` model
 * (the conformance fixture's shape) through the connector, batches of 5,000 as the planner asks.
 *
 *   node --import tsx bench/warehouse-read.ts redshift 1000000   # against $EBB_TEST_PG_URL
 *   node --import tsx bench/warehouse-read.ts bigquery 1000000   # against the emulator
 *   node --import tsx bench/warehouse-read.ts snowflake 1000000  # snowflake-sdk against the DuckDB-backed endpoint
 *   node --import tsx bench/warehouse-read.ts databricks 1000000 # Statement Execution API against the DuckDB-backed server
 *
 * Prints the setup time (not counted), the time to the first batch and rows/s over the whole read.
 */
import { generateKeyPairSync } from 'node:crypto';
import { BigQuery } from '@google-cloud/bigquery';
import { JWT } from 'google-auth-library';
import pg from 'pg';
import { createConnectorContext } from '../connectors/context';
import { bigquerySource } from '../connectors/sources/bigquery';
import { redshiftSource } from '../connectors/sources/redshift';
import { databricksSource } from '../connectors/sources/databricks';
import { snowflakeSource } from '../connectors/sources/snowflake';
import { startDatabricksServer } from '../test/servers/databricks/server';
import { startSnowflakeServer } from '../test/servers/snowflake/server';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Model } from '../domain/spec/schema';
import type { Source } from '../connectors/types';
import { startBigqueryEmulator } from '../test/helpers/bigquery-emulator';

const [kind = 'redshift', nArg = '1000000', sizeArg] = process.argv.slice(2);
const n = Number(nArg);

async function time(source: Source, model: Model): Promise<void> {
  const started = performance.now();
  let rows = 0;
  let first = 0;
  for await (const batch of source.read({ model, batchSize: 5000 })) {
    if (!first) first = performance.now() - started;
    rows += batch.length;
  }
  const ms = performance.now() - started;
  console.log(`${kind}: ${rows} rows in ${(ms / 1000).toFixed(1)} s (first batch after ${(first / 1000).toFixed(1)} s): ${Math.round(rows / (ms / 1000))} rows/s; rss ${process.memoryUsage().rss >> 20} MB`);
  await source.close();
}

async function redshift(): Promise<void> {
  const url = process.env.EBB_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:55432/postgres';
  const admin = new pg.Client(url);
  await admin.connect();
  const t = performance.now();
  await admin.query('CREATE SCHEMA IF NOT EXISTS ebb_bench; DROP TABLE IF EXISTS ebb_bench.people');
  await admin.query('CREATE TABLE ebb_bench.people (id int PRIMARY KEY, email varchar(256), score double precision, updated_at timestamp)');
  await admin.query(`INSERT INTO ebb_bench.people SELECT i, 'person' || i || '@example.com', i::float8 / 4,
                     timestamp '2024-01-01' + make_interval(mins => i) FROM generate_series(1, ${n}) i`);
  console.log(`setup ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const ctx = createConnectorContext({ env: { URL: url } });
  const config = redshiftSource.configSchema.parse({ url: { env: 'URL' }, ...(sizeArg ? { fetchSize: Number(sizeArg) } : {}) });
  await time(redshiftSource.create(config, ctx), { table: 'ebb_bench.people' });
  await admin.query('DROP SCHEMA ebb_bench CASCADE');
  await admin.end();
}

async function bigquery(): Promise<void> {
  const emulator = await startBigqueryEmulator({ project: 'bench', dataset: 'ebb' });
  try {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = JSON.stringify({ type: 'service_account', project_id: 'bench', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), client_email: 'bench@bench.iam.gserviceaccount.com' });
    const jwt = new JWT({ scopes: ['https://www.googleapis.com/auth/bigquery'] });
    jwt.fromJSON(JSON.parse(key) as Record<string, string>);
    jwt.useJWTAccessWithScope = true;
    const admin = new BigQuery({ projectId: 'bench', apiEndpoint: emulator.url, authClient: jwt });
    const run = async (query: string) => (await (await admin.createQueryJob({ query }))[0].getQueryResults({ maxResults: 1 }));
    const t = performance.now();
    await run('CREATE TABLE ebb.people (id INT64, email STRING, score FLOAT64, updated_at TIMESTAMP)');
    for (let lo = 1; lo <= n; lo += 100_000) {
      await run(`INSERT INTO ebb.people SELECT i, CONCAT('person', CAST(i AS STRING), '@example.com'), i / 4,
                 TIMESTAMP_ADD(TIMESTAMP '2024-01-01 00:00:00+00', INTERVAL i MINUTE) FROM UNNEST(GENERATE_ARRAY(${lo}, ${Math.min(n, lo + 99_999)})) AS i`);
    }
    console.log(`setup ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const ctx = createConnectorContext({ env: { KEY: key } });
    const config = bigquerySource.configSchema.parse({ projectId: 'bench', credentials: { env: 'KEY' }, apiEndpoint: emulator.url, ...(sizeArg ? { pageSize: Number(sizeArg) } : {}) });
    await time(bigquerySource.create(config, ctx), { table: 'ebb.people' });
  } finally {
    await emulator.stop();
  }
}

/** A DuckDB `people` table behind the Snowflake or Databricks test endpoint. */
async function duckdbPeople(): Promise<{ instance: DuckDBInstance; close(): void }> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const t = performance.now();
  await c.run(`CREATE TABLE people AS SELECT i::INTEGER AS id, 'person' || i || '@example.com' AS email, i::DOUBLE / 4 AS score,
               TIMESTAMP '2024-01-01' + to_minutes(i::BIGINT) AS updated_at FROM range(1, ${n + 1}) t(i)`);
  c.closeSync();
  console.log(`setup ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return { instance, close: () => instance.closeSync() };
}

async function snowflake(): Promise<void> {
  const db = await duckdbPeople();
  const server = await startSnowflakeServer({ instance: db.instance, username: 'bench', password: 'pw', ...(sizeArg ? { chunkRows: Number(sizeArg) } : {}) });
  try {
    const ctx = createConnectorContext({ env: { PW: 'pw' } });
    const config = snowflakeSource.configSchema.parse({ account: 'bench', username: 'bench', password: { env: 'PW' }, accessUrl: server.url });
    await time(snowflakeSource.create(config, ctx), { table: 'people' });
  } finally {
    await server.close();
    db.close();
  }
}

async function databricks(): Promise<void> {
  const db = await duckdbPeople();
  const server = await startDatabricksServer({ instance: db.instance, token: 't', warehouseId: 'wh', ...(sizeArg ? { chunkRows: Number(sizeArg) } : {}) });
  try {
    const ctx = createConnectorContext({ env: { T: 't' } });
    const config = databricksSource.configSchema.parse({ host: server.url, warehouseId: 'wh', token: { env: 'T' } });
    await time(databricksSource.create(config, ctx), { table: 'people' });
  } finally {
    await server.close();
    db.close();
  }
}

const benches: Record<string, () => Promise<void>> = { redshift, bigquery, snowflake, databricks };
(benches[kind] ?? redshift)().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
