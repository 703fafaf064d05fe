/**
 * End to end with `changeDetection.mode: cdc`: a Snowflake table with change tracking (the real
 * snowflake-sdk over HTTP to test/servers/snowflake, DuckDB-backed, with time travel and the
 * CHANGES clause) → syncWorkflow on a real Temporal dev server → PostgreSQL in mirror mode.
 * The first run reads the table at its pinned time; later runs read only the changed keys;
 * deletes arrive as deletes; a rejected row is read again until it lands; an untracked table
 * fails the run with the fix, without retries.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import snowflake from 'snowflake-sdk';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { createHarness, type Harness } from '../helpers/harness';
import { createTestDatabase } from '../helpers/postgres';
import { startSnowflakeServer, type SnowflakeServer } from '../servers/snowflake/server';

const SYNC = 'customers-cdc';
const DEST = 'contacts';
snowflake.configure({ logLevel: 'OFF' });

describe('cdc from Snowflake change tracking, end to end (Snowflake → PostgreSQL)', () => {
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
  /** A statement through snowflake-sdk (DDL the DuckDB backend does not know, like SET CHANGE_TRACKING). */
  const snowflakeStatement = async (sqlText: string) => {
    const c = snowflake.createConnection({ account: 'myorg-test', username: 'EBB_SYNC', password: 'sf-secret', accessUrl: server.url });
    await new Promise<void>((resolve, reject) => c.connect((err) => (err ? reject(err) : resolve())));
    try {
      await new Promise<void>((resolve, reject) => c.execute({ sqlText, complete: (err) => (err ? reject(err) : resolve()) }));
    } finally {
      await new Promise<void>((resolve) => c.destroy(() => resolve()));
    }
  };

  before(async () => {
    process.env.EBB_E2E_CDC_SF_PASSWORD = 'sf-secret';
    h = await createHarness();
    db = await createTestDatabase('ebb_cdc_sf');
    process.env.EBB_E2E_CDC_SF_URL = db.url;
    instance = await DuckDBInstance.create(':memory:');
    warehouse = await instance.connect();
    server = await startSnowflakeServer({ instance, username: 'EBB_SYNC', password: 'sf-secret', chunkRows: 500 });
    await sql(`CREATE TABLE customers (customer_id BIGINT PRIMARY KEY, email VARCHAR, stage VARCHAR, score DOUBLE)`);
    await sql(`INSERT INTO customers SELECT i, 'person.' || i || '@example.com', (['lead','mql','sql','customer'])[1 + (i % 4)::INT], round((i % 1000)::DOUBLE / 1000, 3) FROM range(1, 1501) t(i)`);
    await sql(`CREATE TABLE prospects AS SELECT * FROM customers LIMIT 10`);
    await snowflakeStatement('ALTER TABLE customers SET CHANGE_TRACKING = TRUE');
    await db.query(`CREATE TABLE contacts (id BIGINT PRIMARY KEY, email TEXT NOT NULL CHECK (email LIKE '%@%'), stage TEXT, score DOUBLE PRECISION)`);
    spec = {
      name: SYNC,
      source: { kind: 'snowflake', connection: { account: 'myorg-test', username: 'EBB_SYNC', password: { env: 'EBB_E2E_CDC_SF_PASSWORD' }, warehouse: 'EBB_WH', accessUrl: server.url } },
      model: { table: 'customers' },
      primaryKey: 'customer_id',
      changeDetection: { mode: 'cdc' },
      destinations: [
        {
          name: DEST,
          kind: 'postgres',
          connection: { url: { env: 'EBB_E2E_CDC_SF_URL' } },
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

  it('first run: the whole table at the pinned time', async () => {
    const r = await h.run(spec);
    assert.equal(r.rowsRead, 1_500);
    assert.deepEqual([r.destinations[0].adds, r.destinations[0].committed], [1_500, 1_500]);
    await assertDestinationEqualsModel();
  });

  it('later runs read only the changed keys; deletes arrive; a rejected row is read again until it lands', async () => {
    await sql(
      `UPDATE customers SET stage = 'churned' WHERE customer_id <= 30`,
      `UPDATE customers SET email = 'not-an-email' WHERE customer_id = 40`,
      `DELETE FROM customers WHERE customer_id > 1490`,
      `INSERT INTO customers SELECT i, 'new.' || i || '@example.com', 'lead', 0.5 FROM range(2001, 2006) t(i)`,
    );
    const r = await h.run(spec);
    const d = r.destinations[0];
    assert.equal(r.rowsRead, 31 + 10 + 5, 'only the changed keys left the warehouse');
    assert.deepEqual([d.adds, d.changes, d.removes, d.rejected], [5, 31, 10, 1]);

    const again = await h.run(spec);
    assert.equal(again.rowsRead, 46, 'the point was held back by the rejected row: the same keys are read again');
    assert.deepEqual([again.destinations[0].total, again.destinations[0].rejected], [1, 1], 'only the rejected row is sent again');
    await sql(`UPDATE customers SET email = 'fixed.40@example.com' WHERE customer_id = 40`);
    const fixed = await h.run(spec);
    assert.deepEqual([fixed.destinations[0].total, fixed.destinations[0].ok, fixed.destinations[0].pending], [1, 1, 0]);
    await assertDestinationEqualsModel();
    const unchanged = await h.run(spec);
    assert.deepEqual([unchanged.rowsRead, unchanged.destinations[0].total], [0, 0], 'the point moved past everything that landed');
  });

  it('a table without change tracking fails the run with the fix, without retrying', async () => {
    const err = await h.run({ ...spec, name: 'prospects-cdc', model: { table: 'prospects' } }).then(
      () => assert.fail('the run succeeded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ActivityFailure && err.cause.cause instanceof ApplicationFailure);
    assert.equal(err.cause.cause.type, 'EbbConfigError');
    assert.equal(err.cause.cause.nonRetryable, true);
    assert.match(err.cause.cause.message, /sync "prospects-cdc".*table "prospects" has no change tracking.*ALTER TABLE prospects SET CHANGE_TRACKING = TRUE/);
  });
});
