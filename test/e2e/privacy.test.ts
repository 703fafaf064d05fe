/**
 * The privacy test: run a real sync of customers with emails, export its workflow history the
 * way an operator would (the JSON the Temporal UI downloads), decode every payload, and search
 * for every seeded email. None may appear. History stays small, too: no payload over 64 KB.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startWebhookReceiver } from '../servers/webhook-receiver';
import { createHarness, type Harness } from '../helpers/harness';
import { exportHistoryJson, historyStats, largestPayload, payloadTexts } from '../helpers/history';
import { createCustomers, duckdb } from '../helpers/warehouse';

/** The exported JSON carries payload data as base64: decode every such field. */
function base64Payloads(exportedJson: string): string[] {
  return [...exportedJson.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1], 'base64').toString('utf8'));
}

describe('workflow history carries no row data', () => {
  let h: Harness;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let warehouse: string;

  before(async () => {
    h = await createHarness();
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await createCustomers(warehouse, 3_000);
    process.env.EBB_PRIVACY_SECRET = 'privacy-secret-value';
    // one row is rejected by the destination: failure reasons must not leak into history either
    receiver = await startWebhookReceiver({
      secret: 'privacy-secret-value',
      rejectWhen: (r: { fields: Record<string, unknown> }) => (r.fields.email === 'person.42@example.com' ? 'invalid email person.42@example.com' : undefined),
    });
  });
  after(async () => {
    await h?.close();
    await receiver?.close();
  });

  it('has none of the seeded emails, in clear or in any payload, and no secret', async () => {
    const handle = await h.start(
      {
        name: 'privacy-sync',
        source: { kind: 'duckdb', connection: { path: warehouse } },
        model: { table: 'customers' },
        primaryKey: 'customer_id',
        destinations: [
          {
            name: 'crm',
            kind: 'webhook',
            connection: { url: `${receiver.url}/p`, signingSecret: { env: 'EBB_PRIVACY_SECRET' } },
            object: 'contacts',
            batchSize: 250,
            mapping: { id: 'customer_id', email: 'email', stage: 'stage' },
          },
          {
            name: 'audience',
            kind: 'file',
            connection: { directory: path.join(h.dir, 'exports') },
            object: 'audience',
            batchSize: 1_000,
            mapping: { id: 'customer_id', email_sha256: { column: 'email', transform: ['trim', 'lowercase', 'sha256'] } },
          },
        ],
      },
      { rowsPerSlice: 500 },
    );
    const result = await handle.result();
    assert.equal(result.destinations[0].rejected, 1, 'the rejection happened, so its reason was in play');
    assert.equal(receiver.state.size, 2_999);

    const history = await handle.fetchHistory();
    const exported = exportHistoryJson(h.env.address, handle.workflowId, handle.firstExecutionRunId);
    const decoded = [...payloadTexts(history), ...base64Payloads(exported)].join('\n');
    const haystack = `${exported}\n${decoded}`;
    assert.ok(decoded.includes('privacy-sync'), 'payloads were decoded (the sync name is in them)');

    const emails = (await duckdb(warehouse, `SELECT email FROM customers`)).map((r) => String(r.email));
    assert.equal(emails.length, 3_000);
    const leaked = emails.filter((e) => haystack.includes(e) || haystack.includes(e.split('@')[0]));
    assert.deepEqual(leaked, []);
    assert.ok(!haystack.includes('privacy-secret-value'), 'the signing secret is referenced, never resolved into history');

    assert.ok(largestPayload(history) < 64 * 1024, `largest payload ${largestPayload(history)} bytes`);
    const stats = await historyStats(handle);
    assert.ok(stats.maxSegmentEvents <= 2_000, `${stats.maxSegmentEvents} events in one segment`);
  });
});
