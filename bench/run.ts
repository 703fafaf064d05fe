/**
 * `npm run bench`: DuckDB → PostgreSQL, 1M rows, on a real Temporal dev server with the worker
 * in its own process. Measures, per run: rows per second end to end (start to result), the
 * worker's peak RSS (VmHWM), history events per run segment, and the largest payload in history.
 *   run 1: initial full sync            run 2: 1% of rows changed
 * Prints a markdown table (pasted into the README) and writes bench/results/latest.json.
 * EBB_BENCH_ROWS overrides the model size. EBB_BENCH_IN_WAREHOUSE=<schema> diffs inside the DuckDB
 * warehouse (`changeDetection.inWarehouse`) instead of in the state store.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SyncSpecInput } from '../domain/spec/schema';
import { historyStats, stepSeconds } from '../test/helpers/history';
import { createTestDatabase } from '../test/helpers/postgres';
import { startTemporal } from '../test/helpers/temporal';
import { duckdb } from '../test/helpers/warehouse';
import { startWorkerProcess } from '../test/helpers/worker-process';
import { EbbSync } from '../workflows/search-attributes';
import { syncWorkflowId, type SyncRunResult } from '../workflows/types';

const ROWS = Number(process.env.EBB_BENCH_ROWS ?? 1_000_000);
const IN_WAREHOUSE = process.env.EBB_BENCH_IN_WAREHOUSE;

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ebb-bench-'));
  const env = await startTemporal();
  const db = await createTestDatabase('ebb_bench');
  const warehouse = path.join(dir, 'warehouse.duckdb');
  const taskQueue = 'ebb-bench';
  const worker = startWorkerProcess({
    TEMPORAL_ADDRESS: env.address,
    EBB_TASK_QUEUE: taskQueue,
    EBB_STATE_URL: `duckdb:${path.join(dir, 'state.duckdb')}`,
    EBB_BASE_DIR: dir,
    EBB_BENCH_PG_URL: db.url,
  });
  try {
    log(`seeding ${ROWS.toLocaleString()} rows`);
    await duckdb(
      warehouse,
      `CREATE TABLE customers AS SELECT i::BIGINT AS customer_id, 'person.' || i || '@example.com' AS email,
         (['lead','mql','sql','customer','churned'])[1 + (i % 5)::INT] AS lifecycle_stage,
         (['bronze','silver','gold','platinum'])[1 + (hash(i) % 4)::INT] AS ltv_tier,
         round((hash(i * 7) % 1000)::DOUBLE / 1000, 3) AS churn_score,
         TIMESTAMP '2026-01-01' + to_seconds(i) AS updated_at
       FROM range(1, ${ROWS + 1}) t(i)`,
    );
    await db.query(`CREATE TABLE contacts (id BIGINT PRIMARY KEY, email TEXT, lifecycle_stage TEXT, ltv_tier TEXT, churn_score DOUBLE PRECISION)`);
    await worker.ready;

    const spec: SyncSpecInput = {
      name: 'bench',
      source: {
        kind: 'duckdb',
        connection: {
          path: warehouse,
          ...(process.env.EBB_BENCH_SOURCE_MEMORY ? { memoryLimit: process.env.EBB_BENCH_SOURCE_MEMORY } : {}),
          ...(IN_WAREHOUSE ? { readOnly: false } : {}),
        },
      },
      model: { table: 'customers' },
      primaryKey: 'customer_id',
      ...(IN_WAREHOUSE ? { changeDetection: { mode: 'diff' as const, inWarehouse: { schema: IN_WAREHOUSE } } } : {}),
      destinations: [
        {
          name: 'pg',
          kind: 'postgres',
          connection: { url: { env: 'EBB_BENCH_PG_URL' } },
          object: 'contacts',
          mode: 'mirror',
          batchSize: 5_000,
          concurrency: 4,
          mapping: { id: 'customer_id', email: 'email', lifecycle_stage: 'lifecycle_stage', ltv_tier: 'ltv_tier', churn_score: 'churn_score' },
        },
      ],
    };
    const run = async (label: string) => {
      const t0 = performance.now();
      const handle = await env.client.workflow.start('syncWorkflow', {
        taskQueue,
        workflowId: syncWorkflowId(spec.name),
        args: [{ spec, options: { rowsPerSlice: 50_000 } }],
        typedSearchAttributes: [{ key: EbbSync, value: spec.name }],
      });
      const result = (await handle.result()) as SyncRunResult;
      const seconds = (performance.now() - t0) / 1000;
      const stats = await historyStats(handle);
      const steps = stepSeconds(await handle.client.getHandle(handle.workflowId, handle.firstExecutionRunId).fetchHistory());
      const d = result.destinations[0];
      const row = {
        run: label,
        rowsRead: result.rowsRead,
        rowsSent: d.ok,
        seconds: Number(seconds.toFixed(2)),
        rowsReadPerSecond: Math.round(result.rowsRead / seconds),
        rowsSentPerSecond: Math.round(d.ok / seconds),
        historyEvents: stats.events,
        maxEventsPerSegment: stats.maxSegmentEvents,
        segments: stats.segments,
        largestPayloadBytes: stats.largestPayloadBytes,
        stepSeconds: { plan: steps.planChanges, apply: steps.applyChunks ?? 0, commit: steps.commitDestination },
      };
      log(`${label}: ${JSON.stringify(row)}`);
      return row;
    };

    const initial = await run('initial full sync');
    const [{ n }] = (await db.query('SELECT count(*)::int AS n FROM contacts')).rows;
    if (n !== ROWS) throw new Error(`destination holds ${n} rows, expected ${ROWS}`);
    const changed = Math.round(ROWS / 100);
    await duckdb(warehouse, `UPDATE customers SET churn_score = churn_score + 1 WHERE customer_id % 100 = 0`);
    const incremental = await run(`1% changed (${changed.toLocaleString()} rows)`);
    const peakRssMb = Math.round(worker.peakRssMb());

    const results = { date: new Date().toISOString(), rows: ROWS, changeDetection: IN_WAREHOUSE ? `in warehouse (${IN_WAREHOUSE})` : 'state store', node: process.version, cpus: os.cpus().length, peakRssMb, runs: [initial, incremental] };
    await mkdir(path.join(__dirname, 'results'), { recursive: true });
    await writeFile(path.join(__dirname, 'results', IN_WAREHOUSE ? 'latest-in-warehouse.json' : 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\n| run | rows read | rows sent | seconds (plan / apply / commit) | rows/s end to end | history events (max per segment) | largest payload |`);
    console.log(`|---|---|---|---|---|---|---|`);
    for (const r of [initial, incremental]) {
      const s = r.stepSeconds;
      console.log(`| ${r.run} | ${r.rowsRead.toLocaleString()} | ${r.rowsSent.toLocaleString()} | ${r.seconds} (${s.plan} / ${s.apply} / ${s.commit}) | ${r.rowsReadPerSecond.toLocaleString()} | ${r.historyEvents} (${r.maxEventsPerSegment}) | ${(r.largestPayloadBytes / 1024).toFixed(1)} KB |`);
    }
    console.log(`\nworker peak RSS: ${peakRssMb} MB (${ROWS.toLocaleString()} rows; change detection ${results.changeDetection})`);
  } finally {
    await worker.stop();
    await env.teardown();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

function log(s: string): void {
  console.error(`[bench] ${s}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
