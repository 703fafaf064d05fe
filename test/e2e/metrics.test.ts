/**
 * Metrics: a worker process started with EBB_METRICS_ADDRESS serves the Temporal SDK's metrics
 * and ebb's own (rows by outcome, chunk latency) on a Prometheus endpoint, tagged by sync and
 * destination.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startWebhookReceiver } from '../servers/webhook-receiver';
import { createHarness, type Harness } from '../helpers/harness';
import { createCustomers } from '../helpers/warehouse';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('Prometheus metrics', () => {
  let h: Harness;
  let worker: WorkerProcess;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let port: number;

  before(async () => {
    h = await createHarness({ noWorker: true });
    await createCustomers(path.join(h.dir, 'warehouse.duckdb'), 300);
    receiver = await startWebhookReceiver({ secret: 'metrics-secret', rejectWhen: (r: { fields: Record<string, unknown> }) => ((r.fields.id as number) <= 3 ? 'invalid' : undefined) });
    port = await freePort();
    worker = startWorkerProcess({
      TEMPORAL_ADDRESS: h.env.address,
      EBB_TASK_QUEUE: h.taskQueue,
      EBB_STATE_URL: `duckdb:${path.join(h.dir, 'worker-state.duckdb')}`,
      EBB_BASE_DIR: h.dir,
      EBB_METRICS_SECRET: 'metrics-secret',
      EBB_METRICS_ADDRESS: `127.0.0.1:${port}`,
    });
    await worker.ready;
  });
  after(async () => {
    await worker?.stop();
    await h?.close();
    await receiver?.close();
  });

  it('exports rows by outcome, chunk latency and the SDK metrics', async () => {
    await h.run({
      name: 'metrics-sync',
      source: { kind: 'duckdb', connection: { path: 'warehouse.duckdb' } },
      model: { table: 'customers' },
      primaryKey: 'customer_id',
      destinations: [
        { name: 'crm', kind: 'webhook', connection: { url: `${receiver.url}/m`, signingSecret: { env: 'EBB_METRICS_SECRET' } }, object: 'm', batchSize: 100, mapping: { id: 'customer_id' } },
      ],
    });
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const sample = (name: string, outcome: string) =>
      text.split('\n').find((l) => l.startsWith(name) && l.includes('sync="metrics-sync"') && l.includes('destination="crm"') && l.includes(`outcome="${outcome}"`));
    assert.match(sample('ebb_rows', 'ok') ?? '', / 297$/);
    assert.match(sample('ebb_rows', 'rejected') ?? '', / 3$/);
    assert.match(text, /ebb_chunk_latency_bucket\{[^}]*destination="crm"/);
    assert.match(text, /temporal_activity_execution_latency/);

    // The Grafana dashboard (deploy/) queries only metrics a worker really exports. Failure and
    // rate-limit counters appear only once such an event happened, so they are named here.
    const onlyAfterEvents = new Set(['temporal_activity_execution_failed', 'temporal_workflow_failed', 'ebb_rate_limit_wait', 'ebb_rate_budget_wait']);
    const dashboard = JSON.parse(await readFile(path.resolve(__dirname, '../../deploy/grafana/dashboards/ebb.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const queried = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\b((?:ebb|temporal)_[a-z_]+)/g)].map((m) => m[1]))));
    const exported = new Set(text.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]));
    assert.ok(queried.size >= 8, `${queried.size} metrics queried`);
    assert.deepEqual([...queried].filter((m) => !exported.has(m) && !onlyAfterEvents.has(m)), []);
  });
});
