/**
 * Pre-write gates as workflow steps: a gate failure stops the run before any write with a clear
 * reason; a delete share over the cap pauses the run, visibly, until an operator approves or
 * rejects it (CLI `ebb approve` / `ebb reject`, a Temporal Update) or the wait times out.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { progressQuery } from '../../workflows/definitions';
import { runCli } from '../helpers/cli';
import { createHarness, type Harness } from '../helpers/harness';
import { createTestDatabase } from '../helpers/postgres';
import { createCustomers, duckdb } from '../helpers/warehouse';

describe('pre-write gates', () => {
  let h: Harness;
  let dest: Awaited<ReturnType<typeof createTestDatabase>>;
  let warehouse: string;
  const spec = (gates: SyncSpecInput['gates'] = {}): SyncSpecInput => ({
    name: 'gated',
    source: { kind: 'duckdb', connection: { path: warehouse } },
    model: { sql: 'select * from customers' },
    primaryKey: 'customer_id',
    gates,
    destinations: [
      { name: 'pg', kind: 'postgres', connection: { url: { env: 'EBB_GATES_PG_URL' } }, object: 'contacts', mode: 'mirror', batchSize: 100, mapping: { id: 'customer_id', stage: 'stage' } },
    ],
  });
  const rows = async () => (await dest.query('SELECT count(*)::int AS n FROM contacts')).rows[0].n as number;
  const ebb = (...args: string[]) => runCli(args, { TEMPORAL_ADDRESS: h.env.address });
  const failureOf = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => assert.fail('the run should have stopped'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    return String((err.cause as Error).message);
  };
  async function waitForApprovalPhase(workflowId: string) {
    for (let i = 0; i < 100; i++) {
      const p = await h.client.workflow.getHandle(workflowId).query(progressQuery).catch(() => undefined);
      if (p?.phase === 'awaiting-approval') return p;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.fail('the run never paused for approval');
  }

  before(async () => {
    h = await createHarness();
    dest = await createTestDatabase('ebb_gates');
    process.env.EBB_GATES_PG_URL = dest.url;
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await createCustomers(warehouse, 400);
    await dest.query(`CREATE TABLE contacts (id BIGINT PRIMARY KEY, stage TEXT)`);
    const first = await h.run(spec());
    assert.equal(first.destinations[0].committed, 400);
  });
  after(async () => {
    await h?.close();
    await dest?.drop();
  });

  it('null and duplicate keys: warn by default, stop the run before any write with fail', async () => {
    await duckdb(warehouse, `INSERT INTO customers VALUES (NULL, 'x@example.com', 'lead', 0.1, TIMESTAMP '2026-01-01'), (7, 'dup@example.com', 'lead', 0.1, TIMESTAMP '2026-01-01')`);
    const warned = await h.run(spec());
    assert.deepEqual(warned.gates?.warnings, ['1 rows have a null primary key (never sent)', '2 rows share a primary key with another row (never sent to pg)']);
    const message = await failureOf(h.run(spec({ duplicateKeys: 'fail' })));
    assert.match(message, /step=gates\] stopped before any write: .*2 rows share a primary key/);
    await duckdb(warehouse, `DELETE FROM customers WHERE customer_id IS NULL OR email = 'dup@example.com'`);
  });

  it('a model that shrank past the limit stops before any write', async () => {
    await duckdb(warehouse, `CREATE TABLE customers_backup AS SELECT * FROM customers`, `DELETE FROM customers WHERE customer_id > 100`);
    try {
      const before = await rows();
      const message = await failureOf(h.run(spec()));
      // the last committed run read 402 rows (with the null and duplicate keys above)
      assert.match(message, /the model shrank 75\.1% since the last committed run \(402 → 100 rows; limit 50\.0%\)/);
      assert.equal(await rows(), before, 'nothing deleted');
    } finally {
      await duckdb(warehouse, `DELETE FROM customers`, `INSERT INTO customers SELECT * FROM customers_backup`, `DROP TABLE customers_backup`);
    }
  });

  it('too many deletes pause the run until an operator approves: then the deletes land', async () => {
    await duckdb(warehouse, `DELETE FROM customers WHERE customer_id > 280`); // 120 of 400 = 30% > 25%
    const handle = await h.start(spec({ maxShrink: 1 }));
    const waiting = await waitForApprovalPhase(handle.workflowId);
    assert.match(waiting.gates?.approvals[0] ?? '', /120 deletes would remove 30\.0% of the 400 rows pg holds \(cap 25\.0%\)/);
    assert.equal(await rows(), 400, 'nothing written while waiting');
    const approved = await ebb('approve', 'gated', '--reason', 'seasonal cleanup');
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /approved: 120 deletes/);
    const r = await handle.result();
    assert.equal(r.destinations[0].removes, 120);
    assert.equal(await rows(), 280);
    assert.match(r.gates?.warnings.at(-1) ?? '', /approved by .*\(ebb CLI\)/);
  });

  it('rejected, or timed out with the default action, the run stops and writes nothing', async () => {
    await duckdb(warehouse, `DELETE FROM customers WHERE customer_id > 150`); // 130 of 280 = 46%
    const handle = await h.start(spec({ maxShrink: 1 }));
    await waitForApprovalPhase(handle.workflowId);
    const rejected = await ebb('reject', 'gated', '--reason', 'looks wrong');
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.match(await failureOf(handle.result()), /rejected by .*\(looks wrong\), nothing written/);
    assert.equal(await rows(), 280);

    const timedOut = await failureOf(h.run(spec({ maxShrink: 1, approvalTimeout: '2s' })));
    assert.match(timedOut, /rejected by timeout after 2s, nothing written/);
    assert.equal(await rows(), 280);

    const notWaiting = await ebb('approve', 'gated');
    assert.equal(notWaiting.code, 1);
  });
});
