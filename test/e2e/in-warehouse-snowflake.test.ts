/**
 * End to end with in-warehouse change detection on a warehouse whose statements commit one by
 * one: Snowflake (the real snowflake-sdk over HTTP to test/servers/snowflake, DuckDB-backed) →
 * syncWorkflow on a real Temporal dev server → PostgreSQL. Only changed rows leave the
 * warehouse, a rejected row stays a candidate until it lands, and the committed warehouse
 * snapshot moves only with the state store's commit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { snowflakeDialect } from '../../connectors/sources/snowflake/warehouse';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { warehouseTables } from '../../runner/warehouse-diff-sql';
import { createHarness, type Harness } from '../helpers/harness';
import { createTestDatabase } from '../helpers/postgres';
import { startSnowflakeServer, type SnowflakeServer } from '../servers/snowflake/server';

const SYNC = 'customers-snowflake';
const DEST = 'contacts';

describe('in-warehouse change detection, end to end (Snowflake → PostgreSQL)', () => {
  let h: Harness;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let instance: DuckDBInstance;
  let warehouse: DuckDBConnection;
  let server: SnowflakeServer;
  let spec: SyncSpecInput;

  const sql = async (...statements: string[]) => {
    let rows: Record<string, unknown>[] = [];
    for (const s of statements) rows = (await warehouse.runAndReadAll(s)).getRowObjectsJS() as Record<string, unknown>[];
    return rows;
  };

  before(async () => {
    process.env.EBB_E2E_SF_PASSWORD = 'sf-secret';
    h = await createHarness();
    db = await createTestDatabase('ebb_inwh_sf');
    process.env.EBB_E2E_INWH_SF_URL = db.url;
    instance = await DuckDBInstance.create(':memory:');
    warehouse = await instance.connect();
    server = await startSnowflakeServer({ instance, username: 'EBB_SYNC', password: 'sf-secret', chunkRows: 500 });
    await sql(`CREATE TABLE customers AS SELECT i::BIGINT AS customer_id, 'person.' || i || '@example.com' AS email,
                 (['lead','mql','sql','customer'])[1 + (i % 4)::INT] AS stage, round((i % 1000)::DOUBLE / 1000, 3) AS score
               FROM range(1, 1501) t(i)`);
    await db.query(`CREATE TABLE contacts (id BIGINT PRIMARY KEY, email TEXT NOT NULL CHECK (email LIKE '%@%'), stage TEXT, score DOUBLE PRECISION)`);
    spec = {
      name: SYNC,
      source: { kind: 'snowflake', connection: { account: 'myorg-test', username: 'EBB_SYNC', password: { env: 'EBB_E2E_SF_PASSWORD' }, warehouse: 'EBB_WH', accessUrl: server.url } },
      model: { sql: 'select customer_id, email, stage, score from customers' },
      primaryKey: 'customer_id',
      changeDetection: { mode: 'diff', inWarehouse: { schema: 'ebb_state' } },
      destinations: [
        {
          name: DEST,
          kind: 'postgres',
          connection: { url: { env: 'EBB_E2E_INWH_SF_URL' } },
          object: 'contacts',
          mode: 'mirror',
          batchSize: 200,
          mapping: { id: 'customer_id', email: 'email', stage: 'stage', score: 'score' },
        },
      ],
    };
  });
  after(async () => {
    await h?.close();
    await db?.drop();
    await server?.close();
    warehouse?.closeSync();
    instance?.closeSync();
  });

  async function assertDestinationEqualsModel() {
    const model = (await sql(`SELECT customer_id AS id, email, stage, score FROM customers ORDER BY customer_id`)).map((r) => ({ ...r, id: Number(r.id) }));
    const dest = (await db.query(`SELECT id, email, stage, score FROM contacts ORDER BY id`)).rows.map((r) => ({ ...r, id: Number(r.id) }));
    assert.deepEqual(dest, model);
  }

  /** Which run the committed warehouse snapshot reflects, and its rows. */
  async function warehouseSnapshot(): Promise<{ run: unknown; rows: number; uncommitted: number }> {
    const t = warehouseTables(snowflakeDialect, 'ebb_state', SYNC, DEST, 'any');
    const [meta] = await sql(`SELECT committed_run FROM ${t.meta}`);
    const [snap] = await sql(`SELECT count(*) AS n, count(*) FILTER (WHERE _ebb_h IS NULL) AS u FROM ${t.snap}`);
    return { run: meta?.committed_run, rows: Number(snap.n), uncommitted: Number(snap.u) };
  }

  it('first run: every row once; the warehouse snapshot reflects the run', async () => {
    const r = await h.run(spec);
    const d = r.destinations[0];
    assert.deepEqual([d.adds, d.total, d.ok, d.committed, d.warehouseCandidates], [1_500, 1_500, 1_500, 1_500, 1_500]);
    await assertDestinationEqualsModel();
    assert.deepEqual(await warehouseSnapshot(), { run: r.runId, rows: 1_500, uncommitted: 0 });
  });

  it('only changed rows leave the warehouse; a rejected row stays a candidate until it lands', async () => {
    await sql(
      `UPDATE customers SET stage = 'churned' WHERE customer_id <= 30`,
      `UPDATE customers SET email = 'not-an-email' WHERE customer_id = 40`,
      `DELETE FROM customers WHERE customer_id > 1490`,
      `INSERT INTO customers SELECT i, 'new.' || i || '@example.com', 'lead', 0.5 FROM range(2001, 2006) t(i)`,
    );
    const r = await h.run(spec);
    const d = r.destinations[0];
    assert.deepEqual([d.adds, d.changes, d.removes, d.rejected], [5, 31, 10, 1]);
    assert.equal(d.warehouseCandidates, 5 + 31 + 10, 'only the changed keys were read out');
    assert.deepEqual(await warehouseSnapshot(), { run: r.runId, rows: 1_495, uncommitted: 1 }, 'the rejected key keeps a NULL hash');

    const again = await h.run(spec);
    assert.deepEqual([again.destinations[0].total, again.destinations[0].warehouseCandidates, again.destinations[0].rejected], [1, 1, 1]);
    await sql(`UPDATE customers SET email = 'fixed.40@example.com' WHERE customer_id = 40`);
    const fixed = await h.run(spec);
    assert.deepEqual([fixed.destinations[0].total, fixed.destinations[0].ok, fixed.destinations[0].pending], [1, 1, 0]);
    await assertDestinationEqualsModel();
    assert.deepEqual(await warehouseSnapshot(), { run: fixed.runId, rows: 1_495, uncommitted: 0 });
    const unchanged = await h.run(spec);
    assert.deepEqual([unchanged.destinations[0].total, unchanged.destinations[0].warehouseCandidates], [0, 0]);
  });
});
