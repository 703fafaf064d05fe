/**
 * KPIs written back to the warehouse: with `syncLog`, every run (committed or failed) appends
 * a row per destination to a table in the source warehouse: DuckDB and PostgreSQL, each
 * read back directly from the warehouse.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { createHarness, type Harness } from '../helpers/harness';
import { createTestDatabase } from '../helpers/postgres';
import { createCustomers, duckdb } from '../helpers/warehouse';

describe('sync log in the warehouse', () => {
  let h: Harness;
  let pgWarehouse: Awaited<ReturnType<typeof createTestDatabase>>;
  let warehouse: string;
  const fileDest = (object: string) => ({ name: 'export', kind: 'file', connection: { directory: path.join(h.dir, 'out') }, object, batchSize: 100, mapping: { id: 'customer_id', email: 'email' } });

  before(async () => {
    h = await createHarness();
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await createCustomers(warehouse, 120);
    pgWarehouse = await createTestDatabase('ebb_synclog');
    process.env.EBB_SYNCLOG_PG_URL = pgWarehouse.url;
    await pgWarehouse.query(`CREATE TABLE customers AS SELECT i AS customer_id, 'p' || i || '@example.com' AS email FROM generate_series(1, 50) i`);
  });
  after(async () => {
    await h?.close();
    await pgWarehouse?.drop();
  });

  it('appends a row per run and destination to a DuckDB warehouse, failed runs included', async () => {
    const spec: SyncSpecInput = {
      name: 'logged-sync',
      source: { kind: 'duckdb', connection: { path: warehouse } },
      model: { table: 'customers' },
      primaryKey: 'customer_id',
      sla: '1h',
      syncLog: { table: 'ebb_sync_log' },
      destinations: [fileDest('customers')],
    };
    const first = await h.run(spec);
    await duckdb(warehouse, `UPDATE customers SET stage = 'churned' WHERE customer_id <= 5`, `UPDATE customers SET email = 'x' || email WHERE customer_id <= 3`);
    await h.run(spec);
    await assert.rejects(h.run({ ...spec, model: { table: 'no_such_model' } }));

    const rows = await duckdb(warehouse, `SELECT * FROM ebb_sync_log ORDER BY started_at`);
    assert.equal(rows.length, 3);
    assert.deepEqual(rows.map((r) => [r.sync, r.status, r.destination]), [
      ['logged-sync', 'committed', 'export'],
      ['logged-sync', 'committed', 'export'],
      ['logged-sync', 'failed', null],
    ]);
    assert.equal(rows[0].run_id, first.runId);
    assert.deepEqual([rows[0].adds, rows[0].rows_ok, rows[0].rows_rejected, rows[0].rows_pending], [120, 120, 0, 0]);
    assert.deepEqual([rows[1].changes, rows[1].rows_ok], [3, 3], 'only the mapped columns changed for 3 rows');
    assert.equal(rows[0].on_time, true);
    assert.equal(rows[0].row_coverage, 100);
    assert.equal(rows[0].mapping_version, first.destinations[0].mappingVersion);
    assert.match(String(rows[2].error), /no_such_model/);
  });

  it('appends to a PostgreSQL warehouse table', async () => {
    const result = await h.run({
      name: 'logged-pg-sync',
      source: { kind: 'postgres', connection: { url: { env: 'EBB_SYNCLOG_PG_URL' } } },
      model: { table: 'customers' },
      primaryKey: 'customer_id',
      syncLog: { table: 'public.ebb_sync_log' },
      destinations: [fileDest('pg_customers')],
    });
    const { rows } = await pgWarehouse.query(`SELECT sync, run_id, status, destination, rows_ok::int AS ok, started_at <= finished_at AS ordered FROM public.ebb_sync_log`);
    assert.deepEqual(rows, [{ sync: 'logged-pg-sync', run_id: result.runId, status: 'committed', destination: 'export', ok: 50, ordered: true }]);
  });
});
