/**
 * An operator's reset resumes a failed run correctly: a run fails in its apply step (a bad
 * signing secret), the operator fixes the secret and resets the workflow to just after the
 * plan, and the new run applies and commits the same staged change set.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SyncSpecInput } from '../../domain/spec/schema';
import type { SyncRunResult } from '../../workflows/types';
import { startWebhookReceiver } from '../servers/webhook-receiver';
import { createHarness, type Harness } from '../helpers/harness';
import { createCustomers } from '../helpers/warehouse';

describe('reset of a failed run', () => {
  let h: Harness;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let spec: SyncSpecInput;

  before(async () => {
    h = await createHarness();
    const warehouse = path.join(h.dir, 'warehouse.duckdb');
    await createCustomers(warehouse, 400);
    receiver = await startWebhookReceiver({ secret: 'right-secret' });
    process.env.EBB_RESET_SECRET = 'wrong-secret';
    spec = {
      name: 'reset-sync',
      source: { kind: 'duckdb', connection: { path: warehouse } },
      model: { table: 'customers' },
      primaryKey: 'customer_id',
      destinations: [
        { name: 'hook', kind: 'webhook', connection: { url: `${receiver.url}/x`, signingSecret: { env: 'EBB_RESET_SECRET' } }, object: 'o', batchSize: 100, mapping: { id: 'customer_id', stage: 'stage' } },
      ],
    };
  });
  after(async () => {
    await h?.close();
    await receiver?.close();
  });

  it('resumes after the plan and commits every row', async () => {
    const handle = await h.start(spec);
    await assert.rejects(handle.result(), /Workflow execution failed/);
    assert.equal(receiver.state.size, 0);

    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'planChanges');
    const completedAt = events.findIndex((e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(scheduled?.eventId));
    assert.ok(completedAt > 0, 'the plan completed before the failure');
    const resetPoint = events.slice(completedAt).find((e) => e.workflowTaskCompletedEventAttributes);
    assert.ok(resetPoint);

    process.env.EBB_RESET_SECRET = 'right-secret'; // the operator fixes the credential
    const { runId } = await h.client.workflowService.resetWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: handle.workflowId, runId: handle.firstExecutionRunId },
      workflowTaskFinishEventId: resetPoint.eventId,
      reason: 'credential fixed',
      requestId: randomUUID(),
    });
    const result = (await h.client.workflow.getHandle(handle.workflowId, runId ?? undefined).result()) as SyncRunResult;
    assert.equal(result.runId, handle.firstExecutionRunId, 'the reset run applies the change set the first run planned');
    assert.deepEqual([result.destinations[0].ok, result.destinations[0].committed, result.destinations[0].pending], [400, 400, 0]);
    assert.equal(receiver.state.size, 400);
    assert.equal(await h.store.snapshotSize('reset-sync', 'hook'), 400);
  });
});
