/**
 * The databricks source against our Statement Execution API server (test/servers/databricks),
 * backed by DuckDB: real HTTP, the documented routes and shapes, external links fetched without
 * the token, 401/403/429 and failed statements.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { isEbbError } from '../../../domain/errors';
import { readRows, rejection } from '../../conformance/assertions';
import { sourceConformance } from '../../conformance/source-suite';
import { createConnectorContext } from '../../context';
import { startDatabricksServer, toDuckdbSql, type DatabricksServer } from '../../../test/servers/databricks/server';
import { databricksSource } from './index';
import { isoMicros } from './values';

const TOKEN = 'dapi-test-token';
process.env.EBB_DBX_TOKEN = TOKEN;
process.env.EBB_DBX_WRONG = 'dapi-wrong';
const PEOPLE_ROWS = (from: number, to: number) => `
  SELECT i::INTEGER, 'person' || i || '@example.com', i::DOUBLE / 4,
         TIMESTAMP '2024-01-01 00:00:00' + to_minutes(i::BIGINT) + to_microseconds((i % 1000)::BIGINT)
  FROM range(${from}, ${to}) AS t(i)`;

let instance: DuckDBInstance;
let writer: DuckDBConnection;
let server: DatabricksServer;

async function ensureServer(): Promise<DatabricksServer> {
  if (!server) {
    instance = await DuckDBInstance.create(':memory:');
    writer = await instance.connect();
    server = await startDatabricksServer({ instance, token: TOKEN, warehouseId: 'wh-1', chunkRows: 5_000, deniedTables: ['secrets'] });
  }
  return server;
}
const config = (extra: Record<string, unknown> = {}) => ({ host: server.url, warehouseId: 'wh-1', token: { env: 'EBB_DBX_TOKEN' }, pollIntervalMs: 50, ...extra });

sourceConformance({
  connector: databricksSource,
  ctx: createConnectorContext(),
  makeConfig: async () => {
    await ensureServer();
    return config();
  },
  secretFields: ['token'],
  badAuthConfig: async () => config({ token: { env: 'EBB_DBX_WRONG' } }),
  async setup(rows) {
    await ensureServer();
    await writer.run('CREATE OR REPLACE TABLE people (id INTEGER PRIMARY KEY, email VARCHAR, score DOUBLE, updated_at TIMESTAMP)');
    await writer.run(`INSERT INTO people ${PEOPLE_ROWS(1, rows + 1)}`);
    return {
      model: { table: 'people' },
      async insertMore(n) {
        const max = Number((await writer.runAndReadAll('SELECT coalesce(max(id), 0) FROM people')).getRows()[0][0]);
        await writer.run(`INSERT INTO people ${PEOPLE_ROWS(max + 1, max + n + 1)}`);
      },
      async deleteSome(ids) {
        await writer.run(`DELETE FROM people WHERE id IN (${ids.map(Number).join(',')})`);
      },
    };
  },
  async teardown() {
    await server?.close();
    writer?.closeSync();
    instance?.closeSync();
  },
});

describe('databricks source: specifics', () => {
  // Its own warehouse: the conformance suite's is torn down when that suite ends.
  let db: DuckDBInstance;
  let own: DatabricksServer;
  before(async () => {
    db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(`CREATE TABLE wide AS SELECT i::BIGINT AS id, 12345678901234567890::DECIMAL(38,0) AS big, true AS flag FROM range(1, 4) t(i)`);
    await c.run(`CREATE TABLE secrets AS SELECT 1 AS x`);
    c.closeSync();
    own = await startDatabricksServer({ instance: db, token: TOKEN, warehouseId: 'wh-1', deniedTables: ['secrets'] });
  });
  after(async () => {
    await own?.close();
    db?.closeSync();
  });
  const open = (extra: Record<string, unknown> = {}, url = own.url) =>
    databricksSource.create(databricksSource.configSchema.parse({ host: url, warehouseId: 'wh-1', token: { env: 'EBB_DBX_TOKEN' }, pollIntervalMs: 50, ...extra }), createConnectorContext());

  test('results come through external links, fetched without the token; big decimals stay exact', async () => {
    const before = own.calls.file ?? 0;
    const rows = await readRows(open(), 'SELECT * FROM wide ORDER BY id');
    assert.deepEqual(rows[0], { id: 1, big: '12345678901234567890', flag: true });
    assert.ok((own.calls.file ?? 0) > before, 'an external link was fetched (and the server refuses one that carries the token)');
  });

  test('a table the token cannot read is a non-retryable auth error naming the grant', async () => {
    const err = await rejection(open().check({ table: 'secrets' }));
    assert.ok(isEbbError(err) && err.kind === 'auth' && err.nonRetryable);
    assert.match(err.message, /GRANT SELECT/);
  });

  test('a wrong warehouse is a config error', async () => {
    const err = await rejection(open({ warehouseId: 'nope' }).check({ table: 'wide' }));
    assert.ok(isEbbError(err) && err.kind === 'config');
    assert.match(err.message, /RESOURCE_DOES_NOT_EXIST/);
  });

  test('429s are retried honouring Retry-After', async () => {
    const limited = await startDatabricksServer({ instance: db, token: TOKEN, warehouseId: 'wh-1', maxRequestsPerSecond: 1 });
    try {
      const source = open({}, limited.url);
      const t0 = Date.now();
      await source.check({ table: 'wide' });
      await source.check({ table: 'wide' }); // the second submit in the same second is answered 429, then retried
      assert.ok(Date.now() - t0 >= 900, 'waited for Retry-After');
    } finally {
      await limited.close();
    }
  });

  test('helpers: backtick identifiers become DuckDB quotes; timestamps get six fractional digits in UTC', () => {
    assert.equal(toDuckdbSql("SELECT `a``b` FROM `t` WHERE x = '`not`'"), `SELECT "a\`b" FROM "t" WHERE x = '\`not\`'`);
    assert.equal(isoMicros('2024-01-01T00:01:00.001Z'), '2024-01-01T00:01:00.001000Z');
    assert.equal(isoMicros('2024-01-01T02:01:00+02:00'), '2024-01-01T00:01:00.000000Z');
  });
});
