/**
 * The snowflake source, driven through the real snowflake-sdk over HTTP against our
 * Snowflake-compatible endpoint backed by DuckDB (test/servers/snowflake): login, JSON result
 * sets with chunks downloaded by the driver, failed SQL and refused credentials.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { isEbbError } from '../../../domain/errors';
import { readRows, rejection } from '../../conformance/assertions';
import { sourceConformance } from '../../conformance/source-suite';
import { createConnectorContext } from '../../context';
import { startSnowflakeServer, type SnowflakeServer } from '../../../test/servers/snowflake/server';
import { snowflakeSource } from './index';

process.env.EBB_SF_PASSWORD = 'correct-horse';
process.env.EBB_SF_WRONG = 'wrong-horse';
const PEOPLE_ROWS = (from: number, to: number) => `
  SELECT i::INTEGER, 'person' || i || '@example.com', i::DOUBLE / 4,
         TIMESTAMP '2024-01-01 00:00:00' + to_minutes(i::BIGINT) + to_microseconds((i % 1000)::BIGINT)
  FROM range(${from}, ${to}) AS t(i)`;

let instance: DuckDBInstance;
let writer: DuckDBConnection;
let server: SnowflakeServer;
async function ensureServer(): Promise<SnowflakeServer> {
  if (!server) {
    instance = await DuckDBInstance.create(':memory:');
    writer = await instance.connect();
    server = await startSnowflakeServer({ instance, username: 'EBB_READER', password: 'correct-horse', chunkRows: 5_000 });
  }
  return server;
}
const config = (extra: Record<string, unknown> = {}) => ({ account: 'myorg-test', username: 'EBB_READER', password: { env: 'EBB_SF_PASSWORD' }, warehouse: 'EBB_WH', accessUrl: server.url, ...extra });

sourceConformance({
  connector: snowflakeSource,
  ctx: createConnectorContext(),
  makeConfig: async () => {
    await ensureServer();
    return config();
  },
  secretFields: ['password'],
  badAuthConfig: async () => config({ password: { env: 'EBB_SF_WRONG' } }),
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

describe('snowflake source: specifics', () => {
  let db: DuckDBInstance;
  let own: SnowflakeServer;
  before(async () => {
    db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(`CREATE TABLE wide AS SELECT i::BIGINT AS id, 12345678901234567890::DECIMAL(38,0) AS big, 1.25::DECIMAL(10,2) AS price, true AS flag, DATE '2024-02-29' AS day FROM range(1, 4) t(i)`);
    c.closeSync();
    own = await startSnowflakeServer({ instance: db, username: 'EBB_READER', password: 'correct-horse', chunkRows: 2 });
  });
  after(async () => {
    await own?.close();
    db?.closeSync();
  });
  const open = () => snowflakeSource.create(snowflakeSource.configSchema.parse({ account: 'myorg-test', username: 'EBB_READER', password: { env: 'EBB_SF_PASSWORD' }, accessUrl: own.url }), createConnectorContext());

  test('NUMBER(38,0) keeps every digit; decimals, booleans and dates come as JSON; later chunks are downloaded by the driver', async () => {
    const before = own.calls.chunk ?? 0;
    const rows = await readRows(open(), 'SELECT * FROM wide ORDER BY id');
    assert.deepEqual(rows[0], { id: 1, big: '12345678901234567890', price: 1.25, flag: true, day: '2024-02-29' });
    assert.equal(rows.length, 3);
    assert.ok((own.calls.chunk ?? 0) > before, 'rows past the first chunk came from a chunk URL');
  });

  test('a missing table is a config error that names the grant to check', async () => {
    const err = await rejection(open().check({ table: 'nowhere' }));
    assert.ok(isEbbError(err) && err.kind === 'config');
    assert.match(err.message, /002003.*GRANT SELECT/);
  });
});
