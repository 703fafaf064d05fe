/**
 * Identity precedence (spec `matchOn`) end to end, into a PostgreSQL table with two unique
 * identifiers: a record the destination already holds under the second identifier (email) is
 * updated and gains the first (crm_id); records matched nowhere are created; rows with no
 * identifier are never sent; an ID-graph column supplies identifiers through JSON paths.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { createHarness, type Harness } from '../helpers/harness';
import { createTestDatabase } from '../helpers/postgres';
import { duckdb } from '../helpers/warehouse';

describe('identity precedence', () => {
  let h: Harness;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let warehouse: string;
  const spec: () => SyncSpecInput = () => ({
    name: 'identity',
    source: { kind: 'duckdb', connection: { path: warehouse } },
    model: { table: 'people' },
    primaryKey: 'person_id',
    gates: { maxDeleteShare: 1 }, // a third of a three-row table goes in the second run
    destinations: [
      {
        name: 'crm',
        kind: 'postgres',
        connection: { url: { env: 'EBB_IDENTITY_PG_URL' } },
        object: 'contacts',
        mode: 'mirror',
        matchOn: ['crm_id', 'email'],
        mapping: {
          crm_id: { column: 'id_graph', path: 'crm' },
          email: { coalesce: ['email', 'alt_email'], transform: ['trim', 'lowercase'] },
          stage: 'stage',
        },
      },
    ],
  });
  const rows = async () => (await db.query(`SELECT crm_id, email, stage, note FROM contacts ORDER BY email`)).rows;

  before(async () => {
    h = await createHarness();
    db = await createTestDatabase('ebb_identity');
    process.env.EBB_IDENTITY_PG_URL = db.url;
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await db.query(`CREATE TABLE contacts (crm_id TEXT UNIQUE, email TEXT UNIQUE, stage TEXT, note TEXT)`);
    // Someone created Ada by hand before the sync existed: no crm_id, a note ebb must keep.
    await db.query(`INSERT INTO contacts (crm_id, email, stage, note) VALUES (NULL, 'ada@example.com', 'subscriber', 'met at the conference')`);
    await duckdb(
      warehouse,
      `CREATE TABLE people (person_id INT, email TEXT, alt_email TEXT, stage TEXT, id_graph JSON)`,
      `INSERT INTO people VALUES
         (1, '  Ada@Example.com ', NULL, 'customer', '{"crm": "c-1"}'),
         (2, 'grace@example.com', NULL, 'lead', '{"crm": "c-2"}'),
         (3, NULL, 'linus@example.com', 'lead', '{}'),
         (4, NULL, NULL, 'lead', '{}')`,
    );
  });
  after(async () => {
    await h?.close();
    await db?.drop();
  });

  it('matches by the first identifier the destination holds, creates the rest, never sends rows with none', async () => {
    const r = await h.run(spec());
    const d = r.destinations[0];
    assert.deepEqual(d.suppressed, { 'identity:missing': 1 }, 'person 4 has no identifier');
    assert.equal(d.ok, 3);
    assert.deepEqual(await rows(), [
      { crm_id: 'c-1', email: 'ada@example.com', stage: 'customer', note: 'met at the conference' },
      { crm_id: 'c-2', email: 'grace@example.com', stage: 'lead', note: null },
      { crm_id: null, email: 'linus@example.com', stage: 'lead', note: null },
    ]);
  });

  it('later runs match on the external id first, even when the email changed; mirror deletes by the identifiers it had', async () => {
    await duckdb(warehouse, `UPDATE people SET email = 'ada.l@example.com' WHERE person_id = 1`, `DELETE FROM people WHERE person_id = 3`);
    const r = await h.run(spec());
    assert.equal(r.destinations[0].changes, 1);
    assert.equal(r.destinations[0].removes, 1);
    assert.deepEqual(await rows(), [
      { crm_id: 'c-1', email: 'ada.l@example.com', stage: 'customer', note: 'met at the conference' },
      { crm_id: 'c-2', email: 'grace@example.com', stage: 'lead', note: null },
    ]);
  });
});
