/**
 * The crash test: SIGKILL the worker process in the middle of the apply step, start a new
 * one, and prove that
 *   1. the destination ends equal to the model,
 *   2. no row is lost,
 *   3. the only rows sent twice are those of chunks in flight at the kill (delivered to the
 *      destination but not yet recorded as acknowledged), and
 *   4. no watermark is ever ahead of the acknowledged rows.
 * Workers run as real child processes sharing the PostgreSQL state store.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { startWebhookReceiver } from '../servers/webhook-receiver';
import { createHarness, type Harness } from '../helpers/harness';
import { createTestDatabase } from '../helpers/postgres';
import { changeCustomers, createCustomers, duckdb } from '../helpers/warehouse';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { toCursor } from '../../domain/watermark';

const BATCH = 100;

describe('crash in the middle of apply', () => {
  let h: Harness;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let warehouse: string;
  let spec: SyncSpecInput;
  let release: () => void = () => undefined;
  let holdAt = Infinity;
  let requests = 0;
  let held: Promise<void> | undefined;
  const workers: WorkerProcess[] = [];

  const workerEnv = () => ({
    TEMPORAL_ADDRESS: h.env.address,
    EBB_TASK_QUEUE: h.taskQueue,
    EBB_STATE_URL: db.url,
    EBB_BASE_DIR: h.dir,
    EBB_CRASH_SECRET: 'crash-secret',
  });

  before(async () => {
    db = await createTestDatabase('ebb_crash');
    h = await createHarness({ stateUrl: db.url, noWorker: true });
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await createCustomers(warehouse, 6_000);
    receiver = await startWebhookReceiver({
      secret: 'crash-secret',
      onRequest: async () => {
        if (++requests === holdAt) {
          // Hold this request open: the worker is now provably in the middle of a chunk.
          held = new Promise<void>((r) => (release = r));
          await held;
        }
      },
    });
    spec = {
      name: 'crash-sync',
      source: { kind: 'duckdb', connection: { path: warehouse } },
      model: { table: 'customers' },
      primaryKey: 'customer_id',
      changeDetection: { mode: 'watermark', column: 'updated_at', lookback: '0s' },
      destinations: [
        {
          name: 'crm',
          kind: 'webhook',
          connection: { url: `${receiver.url}/crm`, signingSecret: { env: 'EBB_CRASH_SECRET' } },
          object: 'contacts',
          mode: 'upsert',
          batchSize: BATCH,
          concurrency: 2,
          mapping: { id: 'customer_id', email: 'email', stage: 'stage', score: 'score' },
        },
      ],
    };
  });
  after(async () => {
    release();
    for (const w of workers) await w.stop('SIGKILL');
    await h?.close();
    await receiver?.close();
    await db?.drop();
  });

  async function modelRows() {
    return duckdb(warehouse, `SELECT customer_id, email, stage, score, updated_at FROM customers ORDER BY customer_id`);
  }

  function assertReceiverEqualsModel(model: Record<string, unknown>[]) {
    assert.equal(receiver.state.size, model.length, 'no row lost, none extra');
    for (const row of model) {
      assert.deepEqual(receiver.state.get(row.customer_id as never) ?? receiver.state.get(String(row.customer_id) as never), {
        id: row.customer_id,
        email: row.email,
        stage: row.stage,
        score: row.score,
      });
    }
  }

  it('a first full run commits a watermark', async () => {
    const w = startWorkerProcess(workerEnv());
    workers.push(w);
    await w.ready;
    const r = await h.run(spec, { rowsPerSlice: 1_000 });
    assert.equal(r.destinations[0].committed, 6_000);
    await w.stop();
    assertReceiverEqualsModel(await modelRows());
  });

  it('after SIGKILL mid-apply, a new worker finishes: nothing lost, only in-flight chunks resent, watermark never ahead', async () => {
    const before = await h.store.watermark('crash-sync', 'crm');
    assert.ok(before !== undefined);
    await changeCustomers(warehouse, { updates: 3_000, inserts: 500, deletes: 0 });
    const deliveredBefore = receiver.deliveries.length;
    requests = 0;
    holdAt = 12; // the 12th request of this run is held open, then the worker dies

    const a = startWorkerProcess(workerEnv());
    workers.push(a);
    await a.ready;
    const handle = await h.start(spec, { rowsPerSlice: 1_000, applyHeartbeatTimeoutSeconds: 5 });
    while (!held) await new Promise((r) => setTimeout(r, 20));
    await a.stop('SIGKILL');

    // At the kill: the watermark has not moved past anything (it is the first run's).
    assert.equal(await h.store.watermark('crash-sync', 'crm'), before);
    const runId = handle.firstExecutionRunId;
    const ackedAtKill = new Set(
      (await db.query(`SELECT chunk FROM ebb.ebb_chunk_acks WHERE run_id = $1 AND dest = 'crm'`, [runId])).rows.map((r) => Number(r.chunk)),
    );
    const chunkOf = (idempotencyKey: string) => Math.floor((Number(idempotencyKey.split(':').pop()) - 1) / BATCH);
    const inFlightKeys = new Set(
      receiver.deliveries
        .slice(deliveredBefore)
        .filter((d) => !ackedAtKill.has(chunkOf(d.idempotencyKey)))
        .flatMap((d) => d.keys),
    );
    assert.ok(inFlightKeys.size > 0, 'the kill happened with a chunk in flight');
    assert.ok(inFlightKeys.size <= 2 * BATCH, 'at most one chunk per concurrent slice was in flight');
    release();

    const b = startWorkerProcess(workerEnv());
    workers.push(b);
    await b.ready;
    const result = await handle.result();
    await b.stop();

    const d = result.destinations[0];
    assert.deepEqual([d.total, d.committed, d.pending, d.rejected], [3_500, 3_500, 0, 0]);

    // 1 and 2: the destination equals the model, nothing lost
    const model = await modelRows();
    assertReceiverEqualsModel(model);

    // 3: rows sent twice in this run are exactly within the chunks in flight at the kill
    const sends = new Map<string, number>();
    for (const del of receiver.deliveries.slice(deliveredBefore)) for (const k of del.keys) sends.set(k, (sends.get(k) ?? 0) + 1);
    const twice = [...sends].filter(([, n]) => n > 1).map(([k]) => k);
    assert.ok(twice.length > 0, 'the in-flight chunk was sent again');
    for (const k of twice) assert.ok(inFlightKeys.has(k), `row ${k} was sent twice but was not in flight at the kill`);
    assert.equal(sends.size, 3_500, 'every changed row was sent, and no unchanged row');

    // 4: the committed watermark is the highest acknowledged cursor, no further
    const maxCursor = Math.max(...model.map((r) => toCursor(r.updated_at)!.value));
    assert.equal(await h.store.watermark('crash-sync', 'crm'), maxCursor);
  });
});
