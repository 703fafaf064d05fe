/**
 * End to end on real parts: DuckDB model → syncWorkflow on a real Temporal dev server →
 * PostgreSQL table, with inserts, updates, deletes, a per-row rejection and its retry.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { createHarness, type Harness } from '../helpers/harness';
import { createTestDatabase } from '../helpers/postgres';
import { changeCustomers, createCustomers, duckdb } from '../helpers/warehouse';

describe('DuckDB → PostgreSQL, end to end', () => {
  let h: Harness;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let warehouse: string;
  let spec: SyncSpecInput;

  before(async () => {
    h = await createHarness();
    db = await createTestDatabase();
    process.env.EBB_E2E_DEST_URL = db.url;
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await createCustomers(warehouse, 2_000);
    // The destination refuses emails without "@": one bad row must not fail its neighbours.
    await db.query(`CREATE TABLE contacts (id BIGINT PRIMARY KEY, email TEXT NOT NULL CHECK (email LIKE '%@%'), stage TEXT, score DOUBLE PRECISION)`);
    spec = {
      name: 'customers-to-pg',
      source: { kind: 'duckdb', connection: { path: warehouse } },
      model: { sql: 'select customer_id, email, stage, score from customers' },
      primaryKey: 'customer_id',
      destinations: [
        {
          name: 'warehouse-contacts',
          kind: 'postgres',
          connection: { url: { env: 'EBB_E2E_DEST_URL' } },
          object: 'contacts',
          mode: 'mirror',
          batchSize: 300,
          mapping: { id: 'customer_id', email: 'email', stage: 'stage', score: 'score' },
        },
      ],
    };
  });
  after(async () => {
    await h?.close();
    await db?.drop();
  });

  async function assertDestinationEqualsModel(exceptIds: number[] = []) {
    const model = await duckdb(warehouse, `SELECT customer_id AS id, email, stage, score FROM customers ORDER BY customer_id`);
    const dest = (await db.query(`SELECT id, email, stage, score FROM contacts ORDER BY id`)).rows.map((r) => ({ ...r, id: Number(r.id) }));
    const keep = (r: Record<string, unknown>) => !exceptIds.includes(r.id as number);
    assert.deepEqual(dest.filter(keep), model.filter(keep));
  }

  it('first run sends every row and the destination equals the model', async () => {
    const handle = await h.start(spec);
    const r = await handle.result();
    const d = r.destinations[0];
    assert.equal(r.rowsRead, 2_000);
    assert.deepEqual([d.adds, d.changes, d.removes, d.total, d.chunks], [2_000, 0, 0, 2_000, 7]);
    assert.deepEqual([d.ok, d.rejected, d.committed, d.pending], [2_000, 0, 2_000, 0]);
    assert.deepEqual([d.kpis.rowCoverage, d.kpis.changePropagationEfficiency], [100, 1]);
    assert.ok(d.kpis.latencyMinutes >= 0 && d.kpis.latencyMinutes < 5);
    await assertDestinationEqualsModel();
    // What an operator sees in the UI: the run's current details, a table of counts
    const meta = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    assert.match(meta.currentDetails, /\| warehouse-contacts \| 2000 \| 0 \| 0 \| 7\/7 \| 2000 \| 0 \| 0 \| 2000 \|/);
  });

  it('second run moves only the changes: updates, inserts and deletes', async () => {
    await changeCustomers(warehouse, { updates: 40, inserts: 15, deletes: 25 });
    const r = await h.run(spec);
    const d = r.destinations[0];
    assert.deepEqual([d.adds, d.changes, d.removes, d.unchanged], [15, 40, 25, 2_000 - 40 - 25]);
    assert.deepEqual([d.ok, d.rejected, d.pending], [80, 0, 0]);
    await assertDestinationEqualsModel();
  });

  it('an unchanged model moves nothing', async () => {
    const r = await h.run(spec);
    assert.equal(r.destinations[0].total, 0);
    assert.equal(r.destinations[0].ok, 0);
  });

  it('a rejected row is recorded with its reason, its neighbours land, and it is retried next run', async () => {
    await duckdb(warehouse, `UPDATE customers SET email = 'not-an-email', stage = 'sql' WHERE customer_id = 7`, `UPDATE customers SET stage = 'sql' WHERE customer_id IN (8, 9)`);
    const r = await h.run(spec);
    const d = r.destinations[0];
    assert.deepEqual([d.changes, d.ok, d.rejected, d.committed, d.pending], [3, 2, 1, 2, 1]);
    assert.ok(Math.abs((d.kpis.rowCoverage ?? 0) - 200 / 3) < 1e-9, 'row coverage: 2 of 3 planned rows landed');
    const pending = await h.store.pendingRows(r.runId, 'warehouse-contacts');
    assert.equal(pending.length, 1);
    assert.equal(pending[0].key, '7');
    assert.match(pending[0].reason ?? '', /check constraint|violates/i);
    assert.doesNotMatch(pending[0].reason ?? '', /not-an-email/, 'reasons never quote row values');
    await assertDestinationEqualsModel([7]);
    const [held] = (await db.query(`SELECT email, stage FROM contacts WHERE id = 7`)).rows;
    assert.deepEqual(held, { email: 'person.7@example.com', stage: 'churned' }, 'the destination keeps its last good value of the rejected row');

    // still broken: planned and rejected again, nothing else moves
    const again = await h.run(spec);
    assert.deepEqual([again.destinations[0].total, again.destinations[0].rejected], [1, 1]);

    // fixed in the model: it lands
    await duckdb(warehouse, `UPDATE customers SET email = 'fixed.7@example.com' WHERE customer_id = 7`);
    const fixed = await h.run(spec);
    assert.deepEqual([fixed.destinations[0].total, fixed.destinations[0].ok, fixed.destinations[0].pending], [1, 1, 0]);
    await assertDestinationEqualsModel();
  });

  it('a full resync sends every row again, and change propagation efficiency shows the reload', async () => {
    await duckdb(warehouse, `UPDATE customers SET stage = 'resynced' WHERE customer_id IN (1, 2, 3, 4)`);
    const r = await h.run(spec, { fullResync: true });
    const d = r.destinations[0];
    const rows = r.rowsRead;
    assert.deepEqual([d.adds, d.changes, d.resends, d.ok], [0, 4, rows - 4, rows]);
    assert.equal(d.kpis.changePropagationEfficiency, rows / 4);
    await assertDestinationEqualsModel();
  });
});
