/**
 * End to end with in-warehouse change detection (`changeDetection.inWarehouse`): DuckDB model →
 * syncWorkflow on a real Temporal dev server → PostgreSQL table. The diff runs in the DuckDB
 * warehouse and only changed rows leave it; the warehouse snapshot moves only after the state
 * store committed what the destination acknowledged, so a failure between apply and commit
 * leaves it where it was, and a commit lost between the two is caught up without a resend.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fatalError } from '../../domain/errors';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { duckdbDialect } from '../../connectors/sources/duckdb/warehouse';
import { warehouseTables } from '../../runner/warehouse-diff-sql';
import { createHarness, type Harness } from '../helpers/harness';
import { createTestDatabase } from '../helpers/postgres';
import { changeCustomers, createCustomers, duckdb } from '../helpers/warehouse';

const SYNC = 'customers-in-warehouse';
const DEST = 'contacts';

describe('in-warehouse change detection, end to end (DuckDB → PostgreSQL)', () => {
  let h: Harness;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let warehouse: string;
  let spec: SyncSpecInput;

  before(async () => {
    h = await createHarness();
    db = await createTestDatabase('ebb_inwh');
    process.env.EBB_E2E_INWH_URL = db.url;
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await createCustomers(warehouse, 2_000);
    await db.query(`CREATE TABLE contacts (id BIGINT PRIMARY KEY, email TEXT NOT NULL CHECK (email LIKE '%@%'), stage TEXT, score DOUBLE PRECISION)`);
    spec = {
      name: SYNC,
      source: { kind: 'duckdb', connection: { path: warehouse, readOnly: false } },
      model: { sql: 'select customer_id, email, stage, score from customers' },
      primaryKey: 'customer_id',
      changeDetection: { mode: 'diff', inWarehouse: { schema: 'ebb_state' } },
      destinations: [
        {
          name: DEST,
          kind: 'postgres',
          connection: { url: { env: 'EBB_E2E_INWH_URL' } },
          object: 'contacts',
          mode: 'mirror',
          batchSize: 300,
          mapping: { id: 'customer_id', email: 'email', stage: 'stage', score: 'score' },
        },
        {
          // A second destination reading only the email: its own hashes, candidates and commit.
          name: 'audience',
          kind: 'file',
          connection: { directory: path.join(h.dir, 'exports') },
          object: 'audience',
          mode: 'upsert',
          batchSize: 500,
          mapping: { id: 'customer_id', email_sha256: { column: 'email', transform: ['trim', 'lowercase', 'sha256'] } },
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

  /** The warehouse's committed snapshot: which run it reflects, and a fingerprint of its rows. */
  async function warehouseSnapshot(): Promise<{ run: unknown; rows: number; fingerprint: unknown }> {
    const t = warehouseTables(duckdbDialect, 'ebb_state', SYNC, DEST, 'any');
    const [meta] = await duckdb(warehouse, `SELECT committed_run FROM ${t.meta}`);
    const [snap] = await duckdb(warehouse, `SELECT count(*) AS n, sum(hash(customer_id, _ebb_h)) AS f FROM ${t.snap}`);
    return { run: meta?.committed_run, rows: Number(snap.n), fingerprint: snap.f };
  }

  it('first run: the warehouse hands out every row once, the destination equals the model', async () => {
    const r = await h.run(spec);
    const d = r.destinations[0];
    assert.deepEqual([d.adds, d.changes, d.removes, d.total, d.ok, d.committed], [2_000, 0, 0, 2_000, 2_000, 2_000]);
    assert.equal(d.warehouseCandidates, 2_000);
    await assertDestinationEqualsModel();
    assert.deepEqual(await warehouseSnapshot().then((s) => [s.run, s.rows]), [r.runId, 2_000]);
  });

  it('only changed rows leave the warehouse: updates, inserts and deletes', async () => {
    await changeCustomers(warehouse, { updates: 40, inserts: 15, deletes: 25 });
    const r = await h.run(spec);
    const d = r.destinations[0];
    assert.deepEqual([d.adds, d.changes, d.removes, d.unchanged], [15, 40, 25, 2_000 - 40 - 25]);
    assert.equal(d.warehouseCandidates, 80, 'only the 80 changed keys were read out of the warehouse');
    assert.equal(r.rowsRead, 1_990);
    const audience = r.destinations[1];
    assert.deepEqual([audience.adds, audience.changes, audience.removes, audience.total], [15, 0, 0, 15], 'the audience reads no changed column');
    assert.equal(audience.warehouseCandidates, 15 + 25);
    await assertDestinationEqualsModel();
    const unchanged = await h.run(spec);
    assert.deepEqual([unchanged.destinations[0].total, unchanged.destinations[0].warehouseCandidates], [0, 0]);
    assert.deepEqual([unchanged.destinations[1].total, unchanged.destinations[1].warehouseCandidates], [0, 25], 'upsert mode never deletes: gone keys stay candidates');
  });

  it('a rejected row stays uncommitted in the warehouse and is retried until it lands', async () => {
    await duckdb(warehouse, `UPDATE customers SET email = 'not-an-email' WHERE customer_id = 7`, `UPDATE customers SET stage = 'sql' WHERE customer_id IN (8, 9)`);
    const r = await h.run(spec);
    assert.deepEqual([r.destinations[0].changes, r.destinations[0].ok, r.destinations[0].rejected], [3, 2, 1]);
    const again = await h.run(spec);
    assert.deepEqual([again.destinations[0].total, again.destinations[0].rejected, again.destinations[0].warehouseCandidates], [1, 1, 1]);
    await duckdb(warehouse, `UPDATE customers SET email = 'fixed.7@example.com' WHERE customer_id = 7`);
    const fixed = await h.run(spec);
    assert.deepEqual([fixed.destinations[0].total, fixed.destinations[0].ok, fixed.destinations[0].pending], [1, 1, 0]);
    await assertDestinationEqualsModel();
  });

  it('a failure between apply and commit leaves the warehouse snapshot where it was; the next run sends the rows again', async () => {
    const before = await warehouseSnapshot();
    await duckdb(warehouse, `UPDATE customers SET score = score + 10 WHERE customer_id BETWEEN 100 AND 129`);
    const commit = h.store.commitDestination.bind(h.store);
    h.store.commitDestination = async () => {
      throw fatalError('injected: the worker died before commit');
    };
    try {
      await assert.rejects(h.run(spec), /injected|failed/i);
    } finally {
      h.store.commitDestination = commit;
    }
    await assertDestinationEqualsModel(); // applied...
    assert.deepEqual(await warehouseSnapshot(), before, '...but not committed: the warehouse snapshot did not move');
    const r = await h.run(spec);
    assert.deepEqual([r.destinations[0].changes, r.destinations[0].ok], [30, 30], 'the uncommitted rows are sent again');
    assert.notDeepEqual(await warehouseSnapshot(), before);
    assert.equal((await h.run(spec)).destinations[0].total, 0);
  });

  it('a commit lost between the state store and the warehouse is caught up by the next run, with nothing re-sent', async () => {
    const before = await warehouseSnapshot();
    await duckdb(warehouse, `UPDATE customers SET stage = 'vip' WHERE customer_id BETWEEN 200 AND 219`);
    const lookup = h.store.warehouseRun.bind(h.store);
    h.store.warehouseRun = async () => {
      throw fatalError('injected: the warehouse went away after the state store committed');
    };
    try {
      await assert.rejects(h.run(spec), /injected|failed/i);
    } finally {
      h.store.warehouseRun = lookup;
    }
    assert.deepEqual(await warehouseSnapshot(), before, 'the warehouse half did not happen');
    const r = await h.run(spec);
    assert.deepEqual([r.destinations[0].total, r.destinations[0].warehouseCandidates], [0, 0], 'caught up first: nothing is a candidate, nothing is sent');
    assert.equal((await warehouseSnapshot()).run, r.runId);
    await assertDestinationEqualsModel();
  });
});
