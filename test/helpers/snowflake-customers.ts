/**
 * The Snowflake → PostgreSQL end-to-end fixture the Snowflake e2e tests share: a Temporal
 * harness, a test database with a `contacts` table (its email column refuses values without
 * "@", so a row can be rejected), and our Snowflake endpoint (test/servers/snowflake, backed by
 * an in-memory DuckDB) holding 1,500 `customers`.
 */
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import type { ChangeDetection, Model, SyncSpecInput } from '../../domain/spec/schema';
import { startSnowflakeServer, type SnowflakeServer } from '../servers/snowflake/server';
import { createHarness, type Harness } from './harness';
import { createTestDatabase } from './postgres';

/** The endpoint's credentials; the spec reads the password from `EBB_E2E_SF_PASSWORD`. */
export const SNOWFLAKE_LOGIN = { account: 'myorg-test', username: 'EBB_SYNC', password: 'sf-secret' };

/** One incremental step on `customers`: 30 + 1 changed (customer 40's email is rejected), 10 deleted, 5 added. */
export const CUSTOMER_CHANGES = [
  `UPDATE customers SET stage = 'churned' WHERE customer_id <= 30`,
  `UPDATE customers SET email = 'not-an-email' WHERE customer_id = 40`,
  `DELETE FROM customers WHERE customer_id > 1490`,
  `INSERT INTO customers SELECT i, 'new.' || i || '@example.com', 'lead', 0.5 FROM range(2001, 2006) t(i)`,
];

export interface SnowflakeCustomers {
  h: Harness;
  server: SnowflakeServer;
  /** Runs statements on the endpoint's DuckDB; returns the last one's rows. */
  sql(...statements: string[]): Promise<Record<string, unknown>[]>;
  /** The sync spec: the endpoint → `contacts` in mirror mode, batches of 200. */
  spec(s: { name: string; model: Model; changeDetection: ChangeDetection }): SyncSpecInput;
  /** Asserts `contacts` holds exactly the model's rows. */
  assertDestinationEqualsModel(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the fixture; `database` names the test database, `primaryKey` declares customer_id one. */
export async function startSnowflakeCustomers(o: { database: string; primaryKey?: boolean }): Promise<SnowflakeCustomers> {
  process.env.EBB_E2E_SF_PASSWORD = SNOWFLAKE_LOGIN.password;
  const h = await createHarness();
  const db = await createTestDatabase(o.database);
  const urlEnv = `EBB_E2E_${o.database.toUpperCase()}_URL`;
  process.env[urlEnv] = db.url;
  const instance = await DuckDBInstance.create(':memory:');
  const warehouse = await instance.connect();
  const server = await startSnowflakeServer({ instance, username: SNOWFLAKE_LOGIN.username, password: SNOWFLAKE_LOGIN.password, chunkRows: 500 });
  const sql = async (...statements: string[]) => {
    let rows: Record<string, unknown>[] = [];
    for (const s of statements) rows = (await warehouse.runAndReadAll(s)).getRowObjectsJS() as Record<string, unknown>[];
    return rows;
  };
  await sql(
    `CREATE TABLE customers (customer_id BIGINT${o.primaryKey ? ' PRIMARY KEY' : ''}, email VARCHAR, stage VARCHAR, score DOUBLE)`,
    `INSERT INTO customers SELECT i, 'person.' || i || '@example.com', (['lead','mql','sql','customer'])[1 + (i % 4)::INT], round((i % 1000)::DOUBLE / 1000, 3) FROM range(1, 1501) t(i)`,
  );
  await db.query(`CREATE TABLE contacts (id BIGINT PRIMARY KEY, email TEXT NOT NULL CHECK (email LIKE '%@%'), stage TEXT, score DOUBLE PRECISION)`);
  return {
    h,
    server,
    sql,
    spec: ({ name, model, changeDetection }) => ({
      name,
      source: {
        kind: 'snowflake',
        connection: { account: SNOWFLAKE_LOGIN.account, username: SNOWFLAKE_LOGIN.username, password: { env: 'EBB_E2E_SF_PASSWORD' }, warehouse: 'EBB_WH', accessUrl: server.url },
      },
      model,
      primaryKey: 'customer_id',
      changeDetection,
      destinations: [
        {
          name: 'contacts',
          kind: 'postgres',
          connection: { url: { env: urlEnv } },
          object: 'contacts',
          mode: 'mirror',
          batchSize: 200,
          mapping: { id: 'customer_id', email: 'email', stage: 'stage', score: 'score' },
        },
      ],
    }),
    async assertDestinationEqualsModel() {
      const model = (await sql(`SELECT customer_id AS id, email, stage, score FROM customers ORDER BY customer_id`)).map((r) => ({ ...r, id: Number(r.id) }));
      const dest = (await db.query(`SELECT id, email, stage, score FROM contacts ORDER BY id`)).rows.map((r) => ({ ...r, id: Number(r.id) }));
      assert.deepEqual(dest, model);
    },
    async close() {
      await h.close();
      await db.drop();
      await server.close();
      warehouse.closeSync();
      instance.closeSync();
    },
  };
}
