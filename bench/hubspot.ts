/**
 * `npm run bench -- hubspot`: a destination-bound run. 100k changed rows from DuckDB into our
 * HubSpot-compatible server (test/servers/hubspot) through the real @hubspot/api-client, with
 * the server enforcing HubSpot Professional's 190 calls per rolling 10 s. The ceiling is
 * 190 × 100 rows / 10 s = 1,900 rows/s; the target is ≥95% of it, with no row lost and no 429
 * left unhandled. The worker runs in its own process with its request budget.
 * EBB_BENCH_HUBSPOT_ROWS overrides the row count.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SyncSpecInput } from '../domain/spec/schema';
import { stepSeconds } from '../test/helpers/history';
import { startTemporal } from '../test/helpers/temporal';
import { duckdb } from '../test/helpers/warehouse';
import { startWorkerProcess } from '../test/helpers/worker-process';
import { startHubSpotServer } from '../test/servers/hubspot/server';
import { EbbSync } from '../workflows/search-attributes';
import { syncWorkflowId, type SyncRunResult } from '../workflows/types';

const ROWS = Number(process.env.EBB_BENCH_HUBSPOT_ROWS ?? 100_000);
const LIMIT = { max: 190, intervalMs: 10_000 };
const CEILING_ROWS_PER_S = (LIMIT.max * 100) / (LIMIT.intervalMs / 1000);

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ebb-bench-hs-'));
  const env = await startTemporal();
  const token = 'pat-bench-token';
  const server = await startHubSpotServer({ token, rateLimit: LIMIT });
  const warehouse = path.join(dir, 'warehouse.duckdb');
  const worker = startWorkerProcess({
    TEMPORAL_ADDRESS: env.address,
    EBB_TASK_QUEUE: 'ebb-bench-hs',
    EBB_STATE_URL: `duckdb:${path.join(dir, 'state.duckdb')}`,
    EBB_BASE_DIR: dir,
    EBB_BENCH_HUBSPOT_TOKEN: token,
  });
  try {
    await duckdb(
      warehouse,
      `CREATE TABLE customers AS SELECT i::BIGINT AS customer_id, 'person.' || i || '@example.com' AS email,
         (['subscriber','lead','opportunity','customer'])[1 + (i % 4)::INT] AS stage, round((hash(i) % 1000)::DOUBLE / 10, 1) AS score
       FROM range(1, ${ROWS + 1}) t(i)`,
    );
    await worker.ready;
    const spec: SyncSpecInput = {
      name: 'bench-hubspot',
      source: { kind: 'duckdb', connection: { path: warehouse } },
      model: { table: 'customers' },
      primaryKey: 'customer_id',
      destinations: [
        {
          name: 'crm',
          kind: 'hubspot',
          connection: { accessToken: { env: 'EBB_BENCH_HUBSPOT_TOKEN' }, baseUrl: server.url, rateLimit: { requests: LIMIT.max, perMs: LIMIT.intervalMs } },
          object: 'contacts',
          batchSize: 1_000,
          concurrency: 4,
          mapping: { ebb_customer_id: 'customer_id', email: 'email', lifecyclestage: 'stage', ebb_score: 'score' },
        },
      ],
    };
    const t0 = performance.now();
    const handle = await env.client.workflow.start('syncWorkflow', {
      taskQueue: 'ebb-bench-hs',
      workflowId: syncWorkflowId(spec.name),
      args: [{ spec, options: { rowsPerSlice: 5_000 } }],
      typedSearchAttributes: [{ key: EbbSync, value: spec.name }],
    });
    const result = (await handle.result()) as SyncRunResult;
    const seconds = (performance.now() - t0) / 1000;
    const steps = stepSeconds(await handle.client.getHandle(handle.workflowId, handle.firstExecutionRunId).fetchHistory());
    const landed = server.contents('contacts', 'ebb_customer_id').size;
    const d = result.destinations[0];
    const applyRowsPerS = d.ok / steps.applyChunks;
    const row = {
      rows: ROWS,
      ok: d.ok,
      landed,
      lost: ROWS - landed,
      seconds: Number(seconds.toFixed(1)),
      applySeconds: Number(steps.applyChunks.toFixed(1)),
      upsertCalls: server.calls.upsert ?? 0,
      answered429: server.limit.refused,
      applyRowsPerSecond: Math.round(applyRowsPerS),
      ceilingRowsPerSecond: CEILING_ROWS_PER_S,
      shareOfCeiling: Number((applyRowsPerS / CEILING_ROWS_PER_S).toFixed(3)),
    };
    console.error(`[bench] ${JSON.stringify(row)}`);
    console.log(`\n| rows | landed | apply s | rows/s (apply) | share of the 1,900 rows/s ceiling | 429s answered (all retried) | end to end s |`);
    console.log(`|---|---|---|---|---|---|---|`);
    console.log(`| ${ROWS.toLocaleString()} | ${landed.toLocaleString()} | ${row.applySeconds} | ${row.applyRowsPerSecond.toLocaleString()} | ${(row.shareOfCeiling * 100).toFixed(1)}% | ${row.answered429} | ${row.seconds} |`);
    if (landed !== ROWS || d.ok !== ROWS) throw new Error(`lost rows: ${ROWS - landed}`);
  } finally {
    await worker.stop();
    await env.teardown();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
