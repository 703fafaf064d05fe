/**
 * End to end on real parts: PostgreSQL model (REPEATABLE READ cursor) → syncWorkflow on a
 * real Temporal dev server → signed HTTP webhook, with deletes (mirror mode) and 429s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { startWebhookReceiver } from '../servers/webhook-receiver';
import { createHarness, type Harness } from '../helpers/harness';
import { createTestDatabase } from '../helpers/postgres';

describe('PostgreSQL → webhook, end to end', () => {
  let h: Harness;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let spec: SyncSpecInput;

  before(async () => {
    h = await createHarness();
    db = await createTestDatabase();
    process.env.EBB_E2E_SOURCE_URL = db.url;
    process.env.EBB_E2E_WEBHOOK_SECRET = 'e2e-signing-secret';
    // every 7th request is answered 429 with Retry-After: the run must still deliver every row
    receiver = await startWebhookReceiver({ secret: 'e2e-signing-secret', rateLimit: { every: 7, retryAfterSeconds: 1 } });
    await db.query(`CREATE TABLE accounts (account_id INT PRIMARY KEY, domain TEXT, plan TEXT, seats INT, fit_score NUMERIC(5,2))`);
    await db.query(`INSERT INTO accounts SELECT i, 'acct' || i || '.example.org', CASE WHEN i % 3 = 0 THEN 'pro' ELSE 'free' END, i % 50, (i % 100) / 10.0 FROM generate_series(1, 1500) i`);
    spec = {
      name: 'accounts-to-crm',
      source: { kind: 'postgres', connection: { url: { env: 'EBB_E2E_SOURCE_URL' } } },
      model: { table: 'accounts' },
      primaryKey: 'account_id',
      destinations: [
        {
          name: 'crm',
          kind: 'webhook',
          connection: { url: `${receiver.url}/accounts`, signingSecret: { env: 'EBB_E2E_WEBHOOK_SECRET' } },
          object: 'accounts',
          mode: 'mirror',
          batchSize: 100,
          concurrency: 3,
          mapping: { account_id: 'account_id', domain: 'domain', plan: 'plan', seats: 'seats', fit_score: { column: 'fit_score', transform: ['number'] } },
        },
      ],
    };
  });
  after(async () => {
    await h?.close();
    await receiver?.close();
    await db?.drop();
  });

  async function assertReceiverEqualsModel() {
    const model = (await db.query(`SELECT account_id, domain, plan, seats, fit_score::float8 AS fit_score FROM accounts ORDER BY account_id`)).rows;
    const held = [...receiver.state.entries()]
      .map(([id, fields]) => ({ id: Number(id), fields }))
      .sort((a, b) => a.id - b.id)
      .map((x) => x.fields);
    assert.equal(held.length, model.length);
    assert.deepEqual(held, model);
  }

  it('delivers every row despite 429s, and the receiver equals the model', async () => {
    const r = await h.run(spec);
    const d = r.destinations[0];
    assert.deepEqual([d.adds, d.ok, d.rejected, d.committed, d.pending], [1_500, 1_500, 0, 1_500, 0]);
    await assertReceiverEqualsModel();
  });

  it('mirrors updates, inserts and deletes', async () => {
    await db.query(`UPDATE accounts SET plan = 'enterprise' WHERE account_id <= 30`);
    await db.query(`DELETE FROM accounts WHERE account_id > 1480`);
    await db.query(`INSERT INTO accounts VALUES (5001, 'new.example.org', 'free', 1, 1.5)`);
    const r = await h.run(spec);
    const d = r.destinations[0];
    assert.deepEqual([d.adds, d.changes, d.removes, d.ok], [1, 30, 20, 51]);
    await assertReceiverEqualsModel();
  });
});
