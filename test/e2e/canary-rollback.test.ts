/**
 * Safety as workflow steps, end to end on real parts (Temporal dev server, DuckDB source,
 * PostgreSQL destination): a canary cohort written first and checked (rejections, read-back),
 * promoted by an operator, by the checks or by a timeout; rejected and rolled back from
 * before-images so the destination is exactly as it was; auto-halt; and `ebb rollback` of a past
 * run, refused when a later run changed the same records. Each path's history is replayed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { progressQuery, rejectCanaryUpdate } from '../../workflows/definitions';
import type { SyncProgress, SyncRunResult } from '../../workflows/types';
import { runCli } from '../helpers/cli';
import { createHarness, type Harness } from '../helpers/harness';
import { exportHistoryJson } from '../helpers/history';
import { createTestDatabase } from '../helpers/postgres';
import { workflowBundle } from '../helpers/temporal';
import { changeCustomers, createCustomers, duckdb } from '../helpers/warehouse';

type Db = Awaited<ReturnType<typeof createTestDatabase>>;

describe('canary, rollback and auto-halt', () => {
  let h: Harness;
  let db: Db;
  let warehouse: string;
  const spec = (name: string, extra: Partial<SyncSpecInput> = {}, batchSize = 50): SyncSpecInput => ({
    name,
    source: { kind: 'duckdb', connection: { path: warehouse } },
    model: { table: 'customers' },
    primaryKey: 'customer_id',
    destinations: [
      { name: 'pg', kind: 'postgres', connection: { url: { env: 'EBB_CANARY_PG_URL' } }, object: 'contacts', mode: 'upsert', batchSize, mapping: { id: 'customer_id', email: 'email', stage: 'stage', score: 'score' } },
    ],
    ...extra,
  });
  /** The destination table, every row and field, in id order. */
  const contents = async () => (await db.query(`SELECT id, email, stage, score FROM contacts ORDER BY id`)).rows as Array<Record<string, unknown>>;
  const failureOf = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => assert.fail('the run should have failed'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError, String(err));
    return String((err.cause as Error).message);
  };
  async function waitForPhase(handle: WorkflowHandleWithFirstExecutionRunId, phase: SyncProgress['phase']): Promise<SyncProgress> {
    for (let i = 0; i < 300; i++) {
      const p = await handle.query(progressQuery).catch(() => undefined);
      if (p?.phase === phase) return p;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`the run never reached phase ${phase}`);
  }
  /**
   * The run's history replays against the current workflow code. With EBB_RECORD_HISTORIES=<label>
   * it is also saved to test/replay/histories/, where replay.test.ts replays it from then on.
   */
  async function assertReplays(name: string, handle: WorkflowHandleWithFirstExecutionRunId) {
    const history = await h.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).fetchHistory();
    await assert.doesNotReject(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, name), `${name} replays`);
    const label = process.env.EBB_RECORD_HISTORIES;
    if (label) {
      const file = path.join(__dirname, '../replay/histories', `${label}-${name.replace(/\W+/g, '-')}-0.json`);
      await writeFile(file, exportHistoryJson(h.env.address, handle.workflowId, handle.firstExecutionRunId));
    }
  }
  /** The ids a percent cohort holds, computed here independently of the SQL: md5 bucket of the key. */
  const inPercentCohort = (id: number, percent: number) => parseInt(createHash('md5').update(String(id)).digest('hex').slice(0, 8), 16) < (percent / 100) * 2 ** 32;
  /** Reset the model and the destination to the same 400 customers, committed by a plain run. */
  async function baseline(name: string) {
    await createCustomers(warehouse, 400);
    await db.query(`TRUNCATE contacts`);
    await h.store.driver.exec(`DELETE FROM ebb_snapshots WHERE sync = $1`, [name]);
    const r = await h.run(spec(name));
    assert.equal(r.destinations[0].committed, 400);
  }

  before(async () => {
    h = await createHarness();
    db = await createTestDatabase('ebb_canary');
    process.env.EBB_CANARY_PG_URL = db.url;
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await db.query(`CREATE TABLE contacts (id BIGINT PRIMARY KEY, email TEXT, stage TEXT, score DOUBLE PRECISION CHECK (score < 1.5))`);
  });
  after(async () => {
    await h?.close();
    await db?.drop();
  });

  it('a canary touches only its cohort until an operator promotes it (ebb approve-canary); read-back accuracy is measured', async () => {
    await baseline('canary-approved');
    await duckdb(warehouse, `UPDATE customers SET stage = 'churned'`);
    const handle = await h.start(spec('canary-approved', { canary: { cohort: { percent: 10 }, promote: 'approval', readBack: { sample: 100 } } }));
    const waiting = await waitForPhase(handle, 'awaiting-canary-approval');

    const cohort = Array.from({ length: 400 }, (_, i) => i + 1).filter((id) => inPercentCohort(id, 10));
    assert.ok(cohort.length > 20 && cohort.length < 70, `about 10% of 400 (${cohort.length})`);
    const churned = (await db.query(`SELECT id FROM contacts WHERE stage = 'churned' ORDER BY id`)).rows.map((r) => Number(r.id));
    assert.deepEqual(churned, cohort, 'exactly the cohort was written, nothing else');
    assert.equal(waiting.plan?.destinations[0].canaryRows, cohort.length);
    assert.equal(waiting.canary, undefined, 'no decision yet');

    const ebb = await runCli(['approve-canary', 'canary-approved', '--reason', 'looks right'], { TEMPORAL_ADDRESS: h.env.address });
    assert.equal(ebb.code, 0, ebb.stderr);
    assert.match(ebb.stdout, /canary promoted/);
    const result = (await handle.result()) as SyncRunResult;
    assert.equal(result.canary?.decision, 'promoted');
    assert.match(result.canary?.by ?? '', /ebb CLI/);
    assert.equal(result.canary?.measured[0].mappingAccuracy, 1, 'every read-back value equals what was sent');
    assert.equal(result.destinations[0].kpis.mappingAccuracy, 100, 'the KPI comes from the same read-back');
    assert.equal(result.destinations[0].kpis.consistencyErrorRate, 0);
    assert.equal(result.destinations[0].committed, 400);
    assert.equal((await db.query(`SELECT count(*)::int AS n FROM contacts WHERE stage = 'churned'`)).rows[0].n, 400);
    await assertReplays('canary approved', handle);
  });

  it('a rejected canary is rolled back: the destination is exactly as before, created records deleted, nothing committed', async () => {
    await baseline('canary-rejected');
    const before = await contents();
    await duckdb(
      warehouse,
      `UPDATE customers SET stage = 'churned', email = 'moved.' || customer_id || '@example.com' WHERE customer_id <= 300`,
      `INSERT INTO customers SELECT i, 'new.' || i || '@example.com', 'lead', 0.5, TIMESTAMP '2026-06-02' FROM range(401, 461) t(i)`,
    );
    const handle = await h.start(spec('canary-rejected', { canary: { cohort: { percent: 30 }, promote: 'approval' } }));
    await waitForPhase(handle, 'awaiting-canary-approval');
    assert.notDeepEqual(await contents(), before, 'the canary wrote something');
    assert.ok((await db.query(`SELECT count(*)::int AS n FROM contacts WHERE id > 400`)).rows[0].n > 0, 'the canary created records');

    await handle.executeUpdate(rejectCanaryUpdate, { args: [{ by: 'test', reason: 'wrong audience' }] });
    const message = await failureOf(handle.result());
    assert.match(message, /step=canary\] canary rejected by test \(wrong audience\); rolled back pg: \d+ restored, \d+ deleted; nothing committed/);
    assert.deepEqual(await contents(), before, 'field by field, the prior state');
    // Nothing was committed: the next plan still sees every change.
    const plan = await h.run(spec('canary-rejected'), { dryRun: true });
    assert.equal(plan.destinations[0].changes, 300);
    assert.equal(plan.destinations[0].adds, 60);
    await assertReplays('canary rejected and rolled back', handle);
  });

  it('an unanswered canary takes the configured default when the approval wait times out', async () => {
    await baseline('canary-timeout');
    await duckdb(warehouse, `UPDATE customers SET stage = 'churned' WHERE customer_id <= 100`);
    const handle = await h.start(spec('canary-timeout', { canary: { cohort: { rows: 20 }, promote: 'approval', approvalTimeout: '2s', onApprovalTimeout: 'promote' } }));
    const result = (await handle.result()) as SyncRunResult;
    assert.equal(result.canary?.decision, 'promoted');
    assert.equal(result.canary?.by, 'timeout after 2s');
    assert.equal(result.destinations[0].committed, 100);
    assert.equal(result.destinations[0].committedHashTotal, result.destinations[0].hashTotal, 'hash totals before and after agree');
    assert.equal(result.destinations[0].pendingHashTotal, '0/0');
    await assertReplays('approval timeout', handle);
  });

  it('a canary covering every change commits nothing before its decision', async () => {
    await baseline('canary-all');
    const before = await contents();
    await duckdb(warehouse, `UPDATE customers SET stage = 'churned' WHERE customer_id <= 30`);
    const handle = await h.start(spec('canary-all', { canary: { cohort: { percent: 100 }, promote: 'approval' } }));
    const waiting = await waitForPhase(handle, 'awaiting-canary-approval');
    assert.equal(waiting.plan?.destinations[0].canaryRows, 30);
    assert.equal(waiting.destinations.pg.committed, undefined, 'not committed while the canary waits');
    await handle.executeUpdate(rejectCanaryUpdate, { args: [{ by: 'test' }] });
    await failureOf(handle.result());
    assert.deepEqual(await contents(), before);
    assert.equal((await h.run(spec('canary-all'), { dryRun: true })).destinations[0].changes, 30, 'the next run plans every change again');
  });

  it('a canary whose read-back does not match what was sent is rejected by the checks and rolled back', async () => {
    await baseline('canary-readback');
    const before = await contents();
    // The destination rewrites one field on its way in (as a CRM workflow rule might).
    await db.query(`CREATE FUNCTION shout() RETURNS trigger AS $$ BEGIN IF NEW.stage = 'churned' THEN NEW.stage := 'CHURNED'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await db.query(`CREATE TRIGGER shout BEFORE INSERT OR UPDATE ON contacts FOR EACH ROW EXECUTE FUNCTION shout()`);
    try {
      await duckdb(warehouse, `UPDATE customers SET stage = 'churned'`);
      const message = await failureOf(h.run(spec('canary-readback', { canary: { cohort: { percent: 10 }, readBack: { sample: 20, minAccuracy: 0.99 } } })));
      assert.match(message, /canary rejected by checks: pg: mapping accuracy 66\.7% below 99\.0%; wrong fields: stage \(20\)/);
      assert.deepEqual(await contents(), before);
    } finally {
      await db.query(`DROP TRIGGER shout ON contacts; DROP FUNCTION shout()`);
    }
  });

  it('post-write verification reads written records back: KPIs when they match, a rollback when they do not and the spec says so', async () => {
    await baseline('verified');
    await duckdb(warehouse, `UPDATE customers SET stage = 'churned' WHERE customer_id <= 200`);
    const ok = await h.run(spec('verified', { verify: { sample: 40 } }));
    assert.equal(ok.destinations[0].committed, 200);
    assert.equal(ok.destinations[0].kpis.mappingAccuracy, 100);
    assert.equal(ok.destinations[0].kpis.consistencyErrorRate, 0);

    const before = await contents();
    await db.query(`CREATE FUNCTION shout() RETURNS trigger AS $$ BEGIN IF NEW.stage = 'lost' THEN NEW.stage := 'LOST'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await db.query(`CREATE TRIGGER shout BEFORE INSERT OR UPDATE ON contacts FOR EACH ROW EXECUTE FUNCTION shout()`);
    try {
      await duckdb(warehouse, `UPDATE customers SET stage = 'lost' WHERE customer_id > 200`);
      const message = await failureOf(h.run(spec('verified', { verify: { sample: 40, minAccuracy: 0.99, onFailure: 'rollback' } })));
      assert.match(message, /step=verify\] post-write check failed: pg: mapping accuracy 66\.7% below 99\.0% over 40 records read back; rolled back pg: 200 restored, 0 deleted; nothing committed/);
      assert.deepEqual(await contents(), before, 'restored exactly');
    } finally {
      await db.query(`DROP TRIGGER shout ON contacts; DROP FUNCTION shout()`);
    }
  });

  it('auto-halt stops writing when rejections cross the threshold and rolls back', async () => {
    await baseline('halt-rollback');
    const before = await contents();
    // score + 1 puts about half the updated rows over the table's CHECK (score < 1.5).
    await changeCustomers(warehouse, { updates: 400, inserts: 0, deletes: 0 });
    const handle = await h.start(spec('halt-rollback', { autoHalt: { rejectionRate: 0.2, minRows: 50 } }, 25), { rowsPerSlice: 50 });
    const message = await failureOf(handle.result());
    assert.match(message, /step=auto-halt\] stopped writing: pg: \d+ of \d+ rows rejected \(\d+\.\d%, limit 20\.0%\); rolled back pg: \d+ restored, 0 deleted; nothing committed/);
    assert.deepEqual(await contents(), before);
    const progress = await handle.query(progressQuery);
    assert.ok(progress.destinations.pg.chunksDone < 16, `stopped early (${progress.destinations.pg.chunksDone} of 16 chunks)`);
    await assertReplays('auto-halt', handle);
  });

  it('auto-halt with then: leave keeps what was written and commits the acknowledged rows', async () => {
    await baseline('halt-leave');
    await changeCustomers(warehouse, { updates: 400, inserts: 0, deletes: 0 });
    const message = await failureOf(h.run(spec('halt-leave', { autoHalt: { rejectionRate: 0.2, minRows: 50, then: 'leave' } }, 25), { rowsPerSlice: 50 }));
    assert.match(message, /the rows written stay, and the acknowledged ones are committed/);
    const written = (await db.query(`SELECT count(*)::int AS n FROM contacts WHERE stage = 'churned'`)).rows[0].n as number;
    assert.ok(written > 0);
    const plan = await h.run(spec('halt-leave'), { dryRun: true });
    assert.equal(plan.destinations[0].changes, 400 - written, 'the committed rows are not planned again');
  });

  it('ebb rollback undoes a past run, refusing while a later run changed the same records unless it is rolled back first', async () => {
    await baseline('past-runs');
    const original = await contents();
    const withImages = spec('past-runs', { beforeImages: true });
    await duckdb(warehouse, `UPDATE customers SET stage = 'run-a' WHERE customer_id <= 100`, `INSERT INTO customers VALUES (401, 'a@example.com', 'run-a', 0.2, TIMESTAMP '2026-01-01')`);
    const a = await h.run(withImages);
    const afterA = await contents();
    await duckdb(warehouse, `UPDATE customers SET stage = 'run-b' WHERE customer_id BETWEEN 50 AND 150`);
    const b = await h.run(withImages);

    const syncs = path.join(h.dir, 'syncs');
    await import('node:fs/promises').then((fs) => fs.mkdir(syncs, { recursive: true }));
    await writeFile(path.join(syncs, 'past-runs.yaml'), JSON.stringify(withImages)); // JSON is YAML
    const ebb = (...args: string[]) => runCli([...args, '--syncs', syncs], { TEMPORAL_ADDRESS: h.env.address, EBB_TASK_QUEUE: h.taskQueue });

    const refused = await ebb('rollback', 'past-runs', a.runId);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`refusing to roll back run ${a.runId} on pg: later runs changed the same records since: ${b.runId} \\(51 records\\)`));
    assert.deepEqual(await (async () => (await contents()).length)(), 401, 'a refusal writes nothing');

    const undoB = await ebb('rollback', 'past-runs', b.runId);
    assert.equal(undoB.code, 0, undoB.stderr);
    assert.match(undoB.stdout, /pg: 101 records restored, 0 created records deleted/);
    assert.deepEqual(await contents(), afterA);

    const undoA = await ebb('rollback', 'past-runs', a.runId);
    assert.equal(undoA.code, 0, undoA.stderr);
    assert.match(undoA.stdout, /pg: 100 records restored, 1 created records deleted/);
    assert.deepEqual(await contents(), original);
  });

  it('rollbackWorkflow through the Temporal API, forced past a later run, restores what that run found', async () => {
    await baseline('forced');
    const original = await contents();
    const withImages = spec('forced', { beforeImages: true });
    await duckdb(warehouse, `UPDATE customers SET stage = 'run-a' WHERE customer_id <= 100`);
    const a = await h.run(withImages);
    await duckdb(warehouse, `UPDATE customers SET stage = 'run-b' WHERE customer_id BETWEEN 51 AND 150`);
    await h.run(withImages);
    const handle = await h.client.workflow.start('rollbackWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: `rollback/forced/${a.runId}`,
      args: [{ spec: withImages, runId: a.runId, force: true, reason: 'forced in a test' }],
    });
    const result = (await handle.result()) as { destinations: Array<{ destination: string; restored: number; deleted: number; failed: number }> };
    assert.deepEqual(result.destinations, [{ destination: 'pg', restored: 100, deleted: 0, failed: 0 }]);
    const now = await contents();
    // Run A's records are back as A found them, the later run's overlap included; the rest of B stays.
    assert.deepEqual(now.filter((r) => Number(r.id) <= 100), original.filter((r) => Number(r.id) <= 100));
    assert.ok(now.filter((r) => Number(r.id) > 100 && Number(r.id) <= 150).every((r) => r.stage === 'run-b'));
  });
});
