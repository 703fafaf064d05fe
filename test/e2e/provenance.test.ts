/**
 * Provenance: when a destination asks for it, every record written carries the run id, the sync
 * time, the mapping and model versions and the sync name, in the fields the spec names; and
 * those fields never cause a resend.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { createHarness, type Harness } from '../helpers/harness';
import { createTestDatabase } from '../helpers/postgres';
import { createCustomers, duckdb } from '../helpers/warehouse';

describe('provenance fields', () => {
  let h: Harness;
  let dest: Awaited<ReturnType<typeof createTestDatabase>>;
  let spec: SyncSpecInput;
  let warehouse: string;

  before(async () => {
    h = await createHarness();
    dest = await createTestDatabase('ebb_prov');
    process.env.EBB_PROV_PG_URL = dest.url;
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await createCustomers(warehouse, 120);
    await dest.query(`CREATE TABLE contacts (id BIGINT PRIMARY KEY, stage TEXT, ebb_run TEXT, ebb_synced_at TIMESTAMPTZ, ebb_mapping TEXT, ebb_model TEXT, ebb_sync TEXT)`);
    spec = {
      name: 'prov-sync',
      source: { kind: 'duckdb', connection: { path: warehouse } },
      model: { table: 'customers' },
      primaryKey: 'customer_id',
      destinations: [
        {
          name: 'pg',
          kind: 'postgres',
          connection: { url: { env: 'EBB_PROV_PG_URL' } },
          object: 'contacts',
          batchSize: 50,
          mapping: { id: 'customer_id', stage: 'stage' },
          provenance: { runId: 'ebb_run', syncedAt: 'ebb_synced_at', mappingVersion: 'ebb_mapping', modelVersion: 'ebb_model', sync: 'ebb_sync' },
        },
      ],
    };
  });
  after(async () => {
    await h?.close();
    await dest?.drop();
  });

  it('stamps every written record, without ever causing a resend', async () => {
    const first = await h.run(spec);
    const { rows } = await dest.query(`SELECT DISTINCT ebb_run, ebb_mapping, ebb_model, ebb_sync FROM contacts`);
    assert.deepEqual(rows, [{ ebb_run: first.runId, ebb_mapping: first.destinations[0].mappingVersion, ebb_model: rows[0].ebb_model, ebb_sync: 'prov-sync' }]);
    assert.match(rows[0].ebb_model, /^[0-9a-f]{12}$/);
    const [{ at }] = (await dest.query(`SELECT max(ebb_synced_at) AS at FROM contacts`)).rows;
    assert.equal(new Date(at).toISOString(), first.startedAt);

    const again = await h.run(spec);
    assert.equal(again.destinations[0].total, 0, 'provenance is not part of change detection');

    await duckdb(warehouse, `UPDATE customers SET stage = 'churned' WHERE customer_id <= 3`);
    const third = await h.run(spec);
    const runs = (await dest.query(`SELECT ebb_run, count(*)::int AS n FROM contacts GROUP BY ebb_run ORDER BY n`)).rows;
    assert.deepEqual(runs, [
      { ebb_run: third.runId, n: 3 },
      { ebb_run: first.runId, n: 117 },
    ]);
  });
});
