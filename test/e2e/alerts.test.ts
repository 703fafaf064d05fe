/**
 * Alerts to a Slack-compatible webhook (a local receiver): run failure, SLA breach, rejection
 * rate over the threshold, volume anomaly and schema drift; and the schema-drift policy "fail"
 * stopping a run before any write. Alerts carry names and counts, never row data.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { startWebhookReceiver } from '../servers/webhook-receiver';
import { createHarness, type Harness } from '../helpers/harness';
import { createCustomers, duckdb } from '../helpers/warehouse';

describe('alerts', () => {
  let h: Harness;
  let crm: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let slack: Server;
  const received: Array<{ text: string; blocks: unknown[] }> = [];
  let warehouse: string;

  const spec = (over: Partial<SyncSpecInput> = {}, object = 'contacts'): SyncSpecInput => ({
    name: 'alerting-sync',
    source: { kind: 'duckdb', connection: { path: warehouse } },
    model: { table: 'customers' },
    primaryKey: 'customer_id',
    sla: '1ms', // every run is late: the SLA-breach rule fires
    gates: { maxShrink: 1 }, // this test shrinks the model on purpose: alert, don't stop
    alerts: { webhook: { env: 'EBB_ALERT_URL' }, rejectionRate: 0.05, volumeChange: 0.5 },
    destinations: [
      { name: 'crm', kind: 'webhook', connection: { url: `${crm.url}/${object}`, signingSecret: { env: 'EBB_ALERT_CRM_SECRET' } }, object, batchSize: 50, mapping: { id: 'customer_id', email: 'email' } },
    ],
    ...over,
  });
  const kindsOf = (i: number) => [...received[i].text.matchAll(/\*([a-z-]+)\*:/g)].map((m) => m[1]);

  before(async () => {
    h = await createHarness();
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await createCustomers(warehouse, 100);
    process.env.EBB_ALERT_CRM_SECRET = 'crm-secret';
    crm = await startWebhookReceiver({ secret: 'crm-secret', objects: ['contacts'], rejectWhen: (r: { fields: Record<string, unknown> }) => ((r.fields.id as number) <= 10 ? 'invalid email' : undefined) });
    slack = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => slack.listen(0, '127.0.0.1', r));
    process.env.EBB_ALERT_URL = `http://127.0.0.1:${(slack.address() as AddressInfo).port}/services/T000/B000/XXXX`;
  });
  after(async () => {
    await h?.close();
    await crm?.close();
    slack?.close();
  });

  it('a run with 10% rejected rows past its SLA raises rejection-rate and sla-breach, in one Slack message', async () => {
    await h.run(spec());
    assert.equal(received.length, 1);
    assert.deepEqual(kindsOf(0), ['rejection-rate', 'sla-breach']);
    assert.match(received[0].text, /alerting-sync/);
    assert.match(received[0].text, /rejection rate 10\.0% on crm \(10 of 100 rows/);
    assert.doesNotMatch(JSON.stringify(received[0]), /@example\.com/, 'no row data in alerts');
    assert.equal((received[0].blocks[0] as { type: string }).type, 'section');
  });

  it('a shrunken model with a new column raises volume-anomaly and schema-drift (policy warn: the run goes on)', async () => {
    await duckdb(warehouse, `DELETE FROM customers WHERE customer_id > 30`, `ALTER TABLE customers ADD COLUMN segment VARCHAR`);
    const r = await h.run(spec({ sla: undefined }));
    assert.deepEqual(r.schemaDrift, { added: ['segment'], removed: [], retyped: [] });
    assert.deepEqual(kindsOf(1), ['rejection-rate', 'volume-anomaly', 'schema-drift']);
    assert.match(received[1].text, /-70% since the last run \(100\)/);
  });

  it('with schemaDrift "fail", a changed model stops the run before any write, and alerts the failure', async () => {
    await duckdb(warehouse, `ALTER TABLE customers ADD COLUMN tier VARCHAR`);
    const before = crm.deliveries.length;
    const err = await h.run(spec({ schemaDrift: 'fail' })).then(
      () => assert.fail('the run should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ActivityFailure && err.cause.cause instanceof ApplicationFailure);
    assert.equal(err.cause.cause.type, 'EbbDataError');
    assert.match(err.cause.cause.message, /step=plan.*columns changed since the last committed run \(added tier\)/);
    assert.equal(crm.deliveries.length, before, 'nothing was written');
    assert.deepEqual(kindsOf(2), ['failure']);
  });

  it('a failed run alerts the failure with its cause', async () => {
    await assert.rejects(h.run(spec({ schemaDrift: 'ignore' }, 'no-such-object')));
    assert.deepEqual(kindsOf(3), ['failure']);
    assert.match(received[3].text, /step=apply destination=crm/);
  });
});
