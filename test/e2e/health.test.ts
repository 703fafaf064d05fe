/**
 * The seed's KPIs over time: runs record their KPIs in the (shared, PostgreSQL) state store,
 * and `ebb health` aggregates them per sync: success rate, freshness SLA attainment, latency,
 * row coverage, change propagation efficiency and rows by outcome.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { startWebhookReceiver } from '../servers/webhook-receiver';
import { runCli } from '../helpers/cli';
import { createHarness, type Harness } from '../helpers/harness';
import { createTestDatabase } from '../helpers/postgres';
import { createCustomers, duckdb } from '../helpers/warehouse';

describe('sync health KPIs', () => {
  let h: Harness;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let warehouse: string;
  const spec = (object: string): SyncSpecInput => ({
    name: 'kpi-sync',
    source: { kind: 'duckdb', connection: { path: warehouse } },
    model: { table: 'customers' },
    primaryKey: 'customer_id',
    sla: '30m',
    costModel: { computePerHour: 1, toolPerMillionRows: 0, egressPerGb: 0.09 },
    destinations: [
      { name: 'hook', kind: 'webhook', connection: { url: `${receiver.url}/${object}`, signingSecret: { env: 'EBB_KPI_SECRET' } }, object, batchSize: 100, mapping: { id: 'customer_id', email: 'email' } },
    ],
  });

  before(async () => {
    db = await createTestDatabase('ebb_kpi');
    h = await createHarness({ stateUrl: db.url });
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await createCustomers(warehouse, 300);
    process.env.EBB_KPI_SECRET = 'kpi-secret';
    // one address the CRM refuses; and the object "gone" does not exist (a failed run)
    receiver = await startWebhookReceiver({ secret: 'kpi-secret', objects: ['contacts'], rejectWhen: (r: { fields: Record<string, unknown> }) => (r.fields.id === 7 ? 'invalid email' : undefined) });
  });
  after(async () => {
    await h?.close();
    await receiver?.close();
    await db?.drop();
  });

  it('records per-run KPIs and aggregates them per sync', async () => {
    const first = await h.run(spec('contacts'));
    const k = first.destinations[0].kpis;
    assert.ok(Math.abs((k.rowCoverage ?? 0) - (299 / 300) * 100) < 1e-9);
    assert.equal(k.onTime, true);
    assert.ok((k.costPerMillionRows ?? 0) > 0);

    await duckdb(warehouse, `UPDATE customers SET email = 'changed.' || customer_id || '@example.com' WHERE customer_id <= 20`);
    const second = await h.run(spec('contacts')); // 20 changed + the rejected row again
    assert.equal(second.destinations[0].total, 20);
    await assert.rejects(h.run(spec('gone')));

    const cli = await runCli(['health', '--sync', 'kpi-sync', '--json'], { EBB_STATE_URL: db.url });
    assert.equal(cli.code, 0, cli.stderr);
    const health = JSON.parse(cli.stdout)['kpi-sync'];
    assert.equal(health.runs, 3);
    assert.ok(Math.abs(health.successRate - 200 / 3) < 1e-9);
    assert.equal(health.freshnessAttainment, 100);
    assert.deepEqual(health.rows, { ok: 299 + 19, rejected: 2, retryable: 0, pending: 2 });
    assert.ok(Math.abs(health.rowCoverage - (318 / 320) * 100) < 1e-9);
    assert.ok(health.latencyMinutes.p50 >= 0);
  });
});
