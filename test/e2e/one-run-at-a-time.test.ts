/**
 * Only one run of a sync executes at a time: Temporal refuses a second start under the sync's
 * workflow id, and the state store's lock refuses a run started under any other workflow id
 * while the first is alive. Once the first ends, the next run goes ahead.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { startWebhookReceiver } from '../servers/webhook-receiver';
import { createHarness, type Harness } from '../helpers/harness';
import { createCustomers } from '../helpers/warehouse';

describe('one run of a sync at a time', () => {
  let h: Harness;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let spec: SyncSpecInput;
  let open: () => void = () => undefined;
  let gate: Promise<void> | undefined;
  let arrived: () => void = () => undefined;
  const firstRequest = new Promise<void>((r) => (arrived = r));

  before(async () => {
    h = await createHarness();
    const warehouse = path.join(h.dir, 'warehouse.duckdb');
    await createCustomers(warehouse, 300);
    process.env.EBB_ONE_SECRET = 'one-secret';
    gate = new Promise<void>((r) => (open = r));
    receiver = await startWebhookReceiver({
      secret: 'one-secret',
      onRequest: async () => {
        arrived();
        await gate;
      },
    });
    spec = {
      name: 'one-at-a-time',
      source: { kind: 'duckdb', connection: { path: warehouse } },
      model: { table: 'customers' },
      primaryKey: 'customer_id',
      destinations: [
        { name: 'hook', kind: 'webhook', connection: { url: `${receiver.url}/x`, signingSecret: { env: 'EBB_ONE_SECRET' } }, object: 'o', batchSize: 100, mapping: { id: 'customer_id' } },
      ],
    };
  });
  after(async () => {
    open();
    await h?.close();
    await receiver?.close();
  });

  it('refuses a second run under the same workflow id and under another one, then lets the next run go', async () => {
    const first = await h.start(spec);
    await firstRequest; // the first run is in its apply step, holding the sync

    await assert.rejects(h.start(spec), WorkflowExecutionAlreadyStartedError);

    const other = await h.client.workflow.start('syncWorkflow', { taskQueue: h.taskQueue, workflowId: 'adhoc/one-at-a-time-1', args: [{ spec }] });
    const err = await other.result().then(
      () => assert.fail('the concurrent run should have been refused'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.match(String((err.cause as Error)?.cause ?? err.cause), /already running as workflow sync\/one-at-a-time/);

    open();
    const r = await first.result();
    assert.equal(r.destinations[0].committed, 300);

    const later = await h.client.workflow.execute('syncWorkflow', { taskQueue: h.taskQueue, workflowId: 'adhoc/one-at-a-time-2', args: [{ spec }] });
    assert.equal(later.destinations[0].total, 0, 'the lock was released, and there was nothing left to send');
  });
});
