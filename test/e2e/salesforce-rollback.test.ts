/**
 * A canary that fails its checks on Salesforce is rolled back by itself: a sync into our
 * Salesforce-compatible server through the real jsforce, where a model change makes many rows
 * invalid (bad emails). The canary's rejection rate fails the check, and its rollback leaves
 * every contact exactly as it was, created contacts deleted.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { createHarness, type Harness } from '../helpers/harness';
import { duckdb } from '../helpers/warehouse';
import { startSalesforceServer, type SalesforceServer } from '../servers/salesforce/server';

describe('canary and rollback on Salesforce', () => {
  let h: Harness;
  let org: SalesforceServer;
  let warehouse: string;
  const spec = (extra: Partial<SyncSpecInput> = {}): SyncSpecInput => ({
    name: 'salesforce-canary',
    source: { kind: 'duckdb', connection: { path: warehouse } },
    model: { table: 'people' },
    primaryKey: 'id',
    destinations: [
      {
        name: 'sfdc',
        kind: 'salesforce',
        connection: { instanceUrl: org.url, accessToken: { env: 'EBB_SF_E2E_TOKEN' } },
        object: 'Contact',
        idField: 'Ebb_Id__c',
        batchSize: 50,
        mapping: { Ebb_Id__c: 'id', LastName: 'last_name', Email: 'email', Score__c: 'score' },
      },
    ],
    ...extra,
  });
  const contents = () => new Map([...org.contents('Contact', 'Ebb_Id__c')].sort(([a], [b]) => a.localeCompare(b)));

  before(async () => {
    process.env.EBB_SF_E2E_TOKEN = 'sf-e2e-token';
    org = await startSalesforceServer({ token: 'sf-e2e-token' });
    h = await createHarness();
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await duckdb(
      warehouse,
      `CREATE TABLE people AS SELECT i::VARCHAR AS id, 'Last' || i AS last_name, 'p' || i || '@example.com' AS email, CASE WHEN i % 4 = 0 THEN NULL ELSE i / 10 END AS score FROM range(1, 301) t(i)`,
    );
    assert.equal((await h.run(spec())).destinations[0].committed, 300);
  });
  after(async () => {
    await h?.close();
    await org?.close();
  });

  it('a canary over its rejection limit is rejected by the checks and rolled back to the exact prior state', async () => {
    const before = contents();
    await duckdb(
      warehouse,
      `UPDATE people SET email = CASE WHEN id::INT % 3 = 0 THEN 'broken-' || id ELSE 'new.' || id || '@example.com' END, score = 99`,
      `INSERT INTO people SELECT i::VARCHAR, 'Last' || i, 'p' || i || '@example.com', 1 FROM range(301, 341) t(i)`,
    );
    const err = await h.run(spec({ canary: { cohort: { percent: 20 }, maxRejectionRate: 0.05 } })).then(
      () => assert.fail('the canary should fail its checks'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.match(String((err.cause as Error).message), /canary rejected by checks: sfdc: \d+\.\d% of \d+ canary rows were not accepted \(limit 5\.0%\); rolled back sfdc: \d+ restored, \d+ deleted; nothing committed/);
    assert.deepEqual(contents(), before, 'every contact as before, created ones deleted');
  });
});
