/**
 * End to end with in-warehouse change detection on a warehouse whose statements commit one by
 * one: Snowflake (the real snowflake-sdk over HTTP to test/servers/snowflake, DuckDB-backed) →
 * syncWorkflow on a real Temporal dev server → PostgreSQL. Only changed rows leave the
 * warehouse, a rejected row stays a candidate until it lands, and the committed warehouse
 * snapshot moves only with the state store's commit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { snowflakeDialect } from '../../connectors/sources/snowflake/warehouse';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { warehouseTables } from '../../runner/warehouse-diff-sql';
import { CUSTOMER_CHANGES, startSnowflakeCustomers, type SnowflakeCustomers } from '../helpers/snowflake-customers';

const SYNC = 'customers-snowflake';
const DEST = 'contacts';

describe('in-warehouse change detection, end to end (Snowflake → PostgreSQL)', () => {
  let f: SnowflakeCustomers;
  let spec: SyncSpecInput;

  before(async () => {
    f = await startSnowflakeCustomers({ database: 'ebb_inwh_sf' });
    spec = f.spec({
      name: SYNC,
      model: { sql: 'select customer_id, email, stage, score from customers' },
      changeDetection: { mode: 'diff', inWarehouse: { schema: 'ebb_state' } },
    });
  });
  after(async () => {
    await f?.close();
  });

  /** Which run the committed warehouse snapshot reflects, and its rows. */
  async function warehouseSnapshot(): Promise<{ run: unknown; rows: number; uncommitted: number }> {
    const t = warehouseTables(snowflakeDialect, 'ebb_state', SYNC, DEST, 'any');
    const [meta] = await f.sql(`SELECT committed_run FROM ${t.meta}`);
    const [snap] = await f.sql(`SELECT count(*) AS n, count(*) FILTER (WHERE _ebb_h IS NULL) AS u FROM ${t.snap}`);
    return { run: meta?.committed_run, rows: Number(snap.n), uncommitted: Number(snap.u) };
  }

  it('first run: every row once; the warehouse snapshot reflects the run', async () => {
    const r = await f.h.run(spec);
    const d = r.destinations[0];
    assert.deepEqual([d.adds, d.total, d.ok, d.committed, d.warehouseCandidates], [1_500, 1_500, 1_500, 1_500, 1_500]);
    await f.assertDestinationEqualsModel();
    assert.deepEqual(await warehouseSnapshot(), { run: r.runId, rows: 1_500, uncommitted: 0 });
  });

  it('only changed rows leave the warehouse; a rejected row stays a candidate until it lands', async () => {
    await f.sql(...CUSTOMER_CHANGES);
    const r = await f.h.run(spec);
    const d = r.destinations[0];
    assert.deepEqual([d.adds, d.changes, d.removes, d.rejected], [5, 31, 10, 1]);
    assert.equal(d.warehouseCandidates, 5 + 31 + 10, 'only the changed keys were read out');
    assert.deepEqual(await warehouseSnapshot(), { run: r.runId, rows: 1_495, uncommitted: 1 }, 'the rejected key keeps a NULL hash');

    const again = await f.h.run(spec);
    assert.deepEqual([again.destinations[0].total, again.destinations[0].warehouseCandidates, again.destinations[0].rejected], [1, 1, 1]);
    await f.sql(`UPDATE customers SET email = 'fixed.40@example.com' WHERE customer_id = 40`);
    const fixed = await f.h.run(spec);
    assert.deepEqual([fixed.destinations[0].total, fixed.destinations[0].ok, fixed.destinations[0].pending], [1, 1, 0]);
    await f.assertDestinationEqualsModel();
    assert.deepEqual(await warehouseSnapshot(), { run: fixed.runId, rows: 1_495, uncommitted: 0 });
    const unchanged = await f.h.run(spec);
    assert.deepEqual([unchanged.destinations[0].total, unchanged.destinations[0].warehouseCandidates], [0, 0]);
  });
});
