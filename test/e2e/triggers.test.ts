/**
 * Event-triggered syncs and sequences: `requestRun` with signal-with-start starts an idle sync;
 * sent while a run is in flight, it makes the sync run once more right after, so data changed by
 * (say) a dbt run is never missed; and a spec's `then` runs the next sync after each success.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requestRunSignal } from '../../workflows/definitions';
import type { SyncRunResult } from '../../workflows/types';
import { startWebhookReceiver } from '../servers/webhook-receiver';
import { createHarness, type Harness } from '../helpers/harness';
import { createCustomers, duckdb } from '../helpers/warehouse';

describe('event triggers and sequences', () => {
  let h: Harness;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let warehouse: string;
  let hold: Promise<void> | undefined;
  let release: () => void = () => undefined;
  let holding: () => void = () => undefined;

  const spec = (name: string, extra = '') =>
    `name: ${name}\nsource: { kind: duckdb, connection: { path: warehouse.duckdb } }\nmodel: { table: customers }\nprimaryKey: customer_id\n${extra}` +
    `destinations:\n  - { name: hook, kind: webhook, connection: { url: "${receiver.url}/${name}", signingSecret: { env: EBB_TRIGGER_SECRET } }, object: c, batchSize: 100, mapping: { id: customer_id, stage: stage } }\n`;

  const requestRun = (sync: string, reason: string) =>
    h.client.workflow.signalWithStart('syncWorkflow', {
      workflowId: `sync/${sync}`,
      taskQueue: h.taskQueue,
      args: [{ spec: sync, reason }],
      signal: requestRunSignal,
      signalArgs: [{ reason }],
    });

  before(async () => {
    h = await createHarness();
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await createCustomers(warehouse, 200);
    process.env.EBB_TRIGGER_SECRET = 'trigger-secret';
    receiver = await startWebhookReceiver({
      secret: 'trigger-secret',
      onRequest: async () => {
        if (hold) {
          holding();
          await hold;
        }
      },
    });
    await writeFile(path.join(h.dir, 'trig-a.yaml'), spec('trig-a', 'then: [trig-b]\n'));
    await writeFile(path.join(h.dir, 'trig-b.yaml'), spec('trig-b'));
  });
  after(async () => {
    release();
    await h?.close();
    await receiver?.close();
  });

  it('signal-with-start starts an idle sync, and its `then` runs the next sync after it', async () => {
    const handle = await requestRun('trig-a', 'dbt run finished');
    const a = (await handle.result()) as SyncRunResult;
    assert.equal(a.destinations[0].committed, 200);
    const b = (await h.client.workflow.getHandle('sync/trig-b').result()) as SyncRunResult;
    assert.equal(b.sync, 'trig-b');
    assert.equal(b.destinations[0].committed, 200);
    const meta = await h.client.workflow.getHandle('sync/trig-b').query<{ currentDetails: string }>('__temporal_workflow_metadata');
    assert.match(meta.currentDetails, /after trig-a run /);
  });

  it('a request during a run makes the sync run again right after, so the new data lands', async () => {
    await duckdb(warehouse, `UPDATE customers SET stage = 'first' WHERE customer_id <= 10`);
    let arrived: () => void = () => undefined;
    const inFlight = new Promise<void>((r) => (arrived = r));
    holding = arrived;
    hold = new Promise<void>((r) => (release = r));
    const handle = await requestRun('trig-b', 'first dbt run');
    await inFlight; // the run is writing: it has read the model already

    await duckdb(warehouse, `UPDATE customers SET stage = 'second' WHERE customer_id <= 5`);
    await requestRun('trig-b', 'second dbt run');
    hold = undefined;
    release();

    const last = (await handle.result()) as SyncRunResult; // the result of the run after the rerun
    assert.equal(last.destinations[0].changes, 5, 'the rerun moved the rows changed during the first run');
    for (let id = 1; id <= 10; id++) assert.equal(receiver.state.get(id as never)?.stage ?? receiver.state.get(String(id) as never)?.stage, id <= 5 ? 'second' : 'first');
  });
});
