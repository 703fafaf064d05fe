/**
 * Mappings are code with a version: every run records its mapping's content hash, and a
 * mapping change re-sends exactly the rows whose mapped values changed: not a silent no-op,
 * and not a full resend when only some values change.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { createHarness, type Harness } from '../helpers/harness';
import { createTestDatabase } from '../helpers/postgres';
import { createCustomers, duckdb } from '../helpers/warehouse';

describe('mapping changes', () => {
  let h: Harness;
  let dest: Awaited<ReturnType<typeof createTestDatabase>>;
  let warehouse: string;
  const spec = (emailTransforms: Array<'trim' | 'lowercase'>): SyncSpecInput => ({
    name: 'mapping-sync',
    source: { kind: 'duckdb', connection: { path: warehouse } },
    model: { table: 'customers' },
    primaryKey: 'customer_id',
    destinations: [
      {
        name: 'pg',
        kind: 'postgres',
        connection: { url: { env: 'EBB_MAPPING_PG_URL' } },
        object: 'contacts',
        batchSize: 100,
        mapping: { id: 'customer_id', stage: 'stage', email: emailTransforms.length ? { column: 'email', transform: emailTransforms } : 'email' },
      },
    ],
  });

  before(async () => {
    h = await createHarness();
    dest = await createTestDatabase('ebb_map');
    process.env.EBB_MAPPING_PG_URL = dest.url;
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await createCustomers(warehouse, 500);
    // 12 emails arrive in mixed case, 5 with stray spaces
    await duckdb(warehouse, `UPDATE customers SET email = upper(email) WHERE customer_id <= 12`, `UPDATE customers SET email = '  ' || email || ' ' WHERE customer_id BETWEEN 100 AND 104`);
    await dest.query(`CREATE TABLE contacts (id BIGINT PRIMARY KEY, stage TEXT, email TEXT)`);
  });
  after(async () => {
    await h?.close();
    await dest?.drop();
  });

  it('re-sends exactly the rows whose mapped values the new mapping changes, and records each version', async () => {
    const v1 = await h.run(spec([]));
    assert.equal(v1.destinations[0].ok, 500);

    const v2 = await h.run(spec(['lowercase']));
    assert.deepEqual([v2.destinations[0].changes, v2.destinations[0].ok], [12, 12], 'only the 12 mixed-case emails change under lowercase');
    assert.notEqual(v2.destinations[0].mappingVersion, v1.destinations[0].mappingVersion);

    const v3 = await h.run(spec(['trim', 'lowercase']));
    assert.deepEqual([v3.destinations[0].changes, v3.destinations[0].ok], [5, 5], 'only the 5 padded emails change under trim');

    const same = await h.run(spec(['trim', 'lowercase']));
    assert.equal(same.destinations[0].total, 0, 'the same mapping again moves nothing');
    assert.equal(same.destinations[0].mappingVersion, v3.destinations[0].mappingVersion);

    const { rows } = await dest.query(`SELECT count(*)::int AS n FROM contacts WHERE email <> lower(trim(email))`);
    assert.equal(rows[0].n, 0, 'the destination holds the newly mapped values');
  });
});
