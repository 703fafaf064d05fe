/**
 * Canary and rollback against a SaaS destination: a sync into our HubSpot-compatible server
 * through the real @hubspot/api-client. A rejected canary touches only its cohort, and its
 * rollback leaves every contact exactly as it was, property by property, created contacts gone.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { progressQuery, rejectCanaryUpdate } from '../../workflows/definitions';
import { createHarness, type Harness } from '../helpers/harness';
import { duckdb } from '../helpers/warehouse';
import { startHubSpotServer, type HubSpotServer } from '../servers/hubspot/server';

describe('canary and rollback on HubSpot', () => {
  let h: Harness;
  let crm: HubSpotServer;
  let warehouse: string;
  const spec = (extra: Partial<SyncSpecInput> = {}): SyncSpecInput => ({
    name: 'hubspot-canary',
    source: { kind: 'duckdb', connection: { path: warehouse } },
    model: { table: 'people' },
    primaryKey: 'id',
    destinations: [
      {
        name: 'crm',
        kind: 'hubspot',
        connection: { accessToken: { env: 'EBB_HS_TOKEN' }, baseUrl: crm.url },
        object: 'contacts',
        batchSize: 40,
        mapping: { ebb_customer_id: 'id', email: 'email', lifecyclestage: 'stage', firstname: 'first_name' },
      },
    ],
    ...extra,
  });
  const contents = () => new Map([...crm.contents('contacts', 'ebb_customer_id')].sort(([a], [b]) => a.localeCompare(b)));

  before(async () => {
    process.env.EBB_HS_TOKEN = 'pat-rollback';
    crm = await startHubSpotServer({ token: 'pat-rollback' });
    h = await createHarness();
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await duckdb(
      warehouse,
      `CREATE TABLE people AS SELECT i AS id, 'p' || i || '@example.com' AS email, 'lead' AS stage, CASE WHEN i % 3 = 0 THEN NULL ELSE 'Name' || i END AS first_name FROM range(1, 201) t(i)`,
    );
    const first = await h.run(spec());
    assert.equal(first.destinations[0].committed, 200);
  });
  after(async () => {
    await h?.close();
    await crm?.close();
  });

  it('a sync waiting on the shared rate budget shows the wait in its progress and lands every row', async () => {
    await duckdb(warehouse, `UPDATE people SET first_name = 'Waited' WHERE id <= 120`);
    const slow = spec();
    (slow.destinations[0].connection as Record<string, unknown>).rateLimit = { requests: 1, perMs: 400 };
    const handle = await h.start(slow);
    const result = await handle.result();
    assert.equal(result.destinations[0].ok, 120);
    const progress = await handle.query(progressQuery);
    assert.ok((progress.destinations.crm.budgetWaitMs ?? 0) >= 400, `waited ${progress.destinations.crm.budgetWaitMs} ms on the budget`);
    // Put the model back for the next case.
    await duckdb(warehouse, `UPDATE people SET first_name = CASE WHEN id % 3 = 0 THEN NULL ELSE 'Name' || id END WHERE id <= 120`);
    await h.run(spec());
  });

  it('a rejected canary is rolled back: every contact as before, property by property, created ones archived', async () => {
    const before = contents();
    await duckdb(
      warehouse,
      `UPDATE people SET stage = 'customer', first_name = 'Renamed' WHERE id <= 150`,
      `INSERT INTO people SELECT i, 'p' || i || '@example.com', 'subscriber', NULL FROM range(201, 231) t(i)`,
    );
    const handle = await h.start(spec({ canary: { cohort: { percent: 25 }, promote: 'approval' } }));
    for (let i = 0; i < 300; i++) {
      if ((await handle.query(progressQuery).catch(() => undefined))?.phase === 'awaiting-canary-approval') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const during = contents();
    const touched = [...during].filter(([id, v]) => JSON.stringify(v) !== JSON.stringify(before.get(id))).length;
    const cohort = (await handle.query(progressQuery)).plan!.destinations[0].canaryRows!;
    assert.equal(touched, cohort, 'only the cohort was written');
    assert.ok(cohort > 10 && cohort < 90);

    await handle.executeUpdate(rejectCanaryUpdate, { args: [{ by: 'test' }] });
    const err = await handle.result().then(
      () => assert.fail('should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.match(String((err.cause as Error).message), /canary rejected by test; rolled back crm: \d+ restored, \d+ deleted; nothing committed/);
    assert.deepEqual(contents(), before, 'exactly the prior state');
  });
});
