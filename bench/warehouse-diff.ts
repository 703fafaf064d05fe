/**
 * `npm run bench -- diff`: in-warehouse change detection at scale, without Temporal or a
 * destination, so the diff itself is what is timed. Per model size (EBB_BENCH_DIFF_ROWS, default
 * 10k, 1M and 10M), in fresh processes sharing one DuckDB warehouse and one DuckDB state store:
 *   1. the initial plan (every row staged), every chunk acknowledged, the commit;
 *   2. 1% of rows changed, then the plan again: the in-warehouse diff (snapshot + SQL diff),
 *      reading out the candidates, the state store's diff; every chunk acknowledged; the commit.
 * Each step reports its seconds and the process's peak RSS (VmHWM), so step 2's memory is that
 * of a worker doing an incremental run, whatever the model's size.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConnectorContext } from '../connectors/context';
import { syncSpecSchema } from '../domain/spec/schema';
import { commitInWarehouse } from '../runner/commit-in-warehouse';
import { openSource } from '../runner/connect';
import { planRun, type PlanPhase } from '../runner/plan';
import { openDuckdbDriver } from '../state/duckdb-driver';
import { StateStore } from '../state/store';
import { duckdb } from '../test/helpers/warehouse';

const spec = (file: string) =>
  syncSpecSchema.parse({
    name: 'bench-diff',
    source: { kind: 'duckdb', connection: { path: file, readOnly: false } },
    model: { table: 'customers' },
    primaryKey: 'customer_id',
    changeDetection: { mode: 'diff', inWarehouse: { schema: 'ebb_state' } },
    destinations: [
      {
        name: 'crm',
        kind: 'file',
        object: 'contacts',
        mode: 'mirror',
        batchSize: 5_000,
        mapping: { id: 'customer_id', email: 'email', lifecycle_stage: 'lifecycle_stage', ltv_tier: 'ltv_tier', churn_score: 'churn_score' },
      },
    ],
  });

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : Math.round(process.memoryUsage().rss / 2 ** 20);
}

/** One step in this process: plan, acknowledge every chunk, commit (state store, then warehouse). */
async function step(dir: string, runId: string): Promise<void> {
  const file = path.join(dir, 'warehouse.duckdb');
  const s = spec(file);
  const store = new StateStore(await openDuckdbDriver(path.join(dir, 'state.duckdb')));
  await store.migrate();
  const source = openSource(s.source, createConnectorContext({ baseDir: dir }));
  const phases: Partial<Record<PlanPhase, number>> = {};
  try {
    await store.startRun({ runId, sync: s.name, specHash: 'bench', workflowId: 'bench' });
    const t0 = performance.now();
    const plan = await planRun({ spec: s, runId, fullResync: false, store, source, onPhase: (p, ms) => (phases[p] = (phases[p] ?? 0) + ms) });
    const planSeconds = (performance.now() - t0) / 1000;
    const d = plan.destinations[0];
    for (let c = 0; c < d.chunks; c++) {
      const rows = await store.readChunk(runId, 'crm', c);
      await store.recordChunk(runId, 'crm', c, rows.map((r) => ({ seq: r.seq, key: r.key, status: 'ok' as const })));
    }
    const t1 = performance.now();
    await store.commitDestination({ runId, sync: s.name, dest: 'crm' });
    await commitInWarehouse(source.warehouse!, store, (await store.warehouseRun(runId, 'crm'))!);
    const commitSeconds = (performance.now() - t1) / 1000;
    const sec = (p: PlanPhase) => Number(((phases[p] ?? 0) / 1000).toFixed(2));
    const diffSeconds = Number((((phases['warehouse-snapshot'] ?? 0) + (phases['warehouse-diff'] ?? 0)) / 1000).toFixed(2));
    console.log(
      JSON.stringify({
        rowsRead: plan.rowsRead,
        candidates: d.warehouseCandidates,
        sent: d.total,
        inWarehouseDiffSeconds: diffSeconds,
        phases: { snapshot: sec('warehouse-snapshot'), diff: sec('warehouse-diff'), readOut: sec('warehouse-read'), stateStoreDiff: sec('diff') },
        planSeconds: Number(planSeconds.toFixed(2)),
        commitSeconds: Number(commitSeconds.toFixed(2)),
        peakRssMb: peakRssMb(),
      }),
    );
  } finally {
    await source.close();
    await store.close();
  }
}

function child(dir: string, runId: string): Record<string, unknown> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', __filename, 'step', dir, runId], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'step') return step(process.argv[3], process.argv[4]);
  const sizes = (process.env.EBB_BENCH_DIFF_ROWS ?? '10000,1000000,10000000').split(',').map(Number);
  const rows: string[] = [];
  for (const n of sizes) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ebb-bench-diff-'));
    try {
      console.error(`[bench:diff] seeding ${n.toLocaleString()} rows`);
      const file = path.join(dir, 'warehouse.duckdb');
      await duckdb(
        file,
        `CREATE TABLE customers AS SELECT i::BIGINT AS customer_id, 'person.' || i || '@example.com' AS email,
           (['lead','mql','sql','customer','churned'])[1 + (i % 5)::INT] AS lifecycle_stage,
           (['bronze','silver','gold','platinum'])[1 + (hash(i) % 4)::INT] AS ltv_tier,
           round((hash(i * 7) % 1000)::DOUBLE / 1000, 3) AS churn_score,
           TIMESTAMP '2026-01-01' + to_seconds(i) AS updated_at
         FROM range(1, ${n + 1}) t(i)`,
      );
      const initial = child(dir, 'initial');
      console.error(`[bench:diff] ${n}: initial ${JSON.stringify(initial)}`);
      await duckdb(file, `UPDATE customers SET churn_score = churn_score + 1 WHERE customer_id % 100 = 0`);
      const changed = child(dir, 'changed');
      console.error(`[bench:diff] ${n}: 1% changed ${JSON.stringify(changed)}`);
      const ph = changed.phases as Record<string, number>;
      rows.push(
        `| ${n.toLocaleString()} | ${changed.candidates} | ${changed.inWarehouseDiffSeconds} (${ph.snapshot} + ${ph.diff}) | ${changed.planSeconds} (read out ${ph.readOut}, state store ${ph.stateStoreDiff}) | ${changed.commitSeconds} | ${changed.peakRssMb} MB | ${initial.planSeconds} / ${initial.commitSeconds} | ${initial.peakRssMb} MB |`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`\n| model rows | 1% run: candidates read out | in-warehouse diff, s (snapshot + SQL diff) | 1% run: plan, s | 1% run: commit, s | 1% run: peak RSS | initial: plan / commit, s | initial: peak RSS |`);
  console.log(`|---|---|---|---|---|---|---|---|`);
  for (const r of rows) console.log(r);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
