/**
 * `node --import tsx bench/plan.ts [rows]`: the plan step alone (no Temporal, no destination):
 * a DuckDB model staged and diffed into a fresh embedded state store, twice (first run of a
 * destination, then a rerun against a committed snapshot), with the time of each phase.
 * For profiling the plan (`node --cpu-prof --import tsx bench/plan.ts`).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createConnectorContext } from '../connectors/context';
import { syncSpecSchema } from '../domain/spec/schema';
import { openSource } from '../runner/connect';
import { planRun } from '../runner/plan';
import { openStateStore } from '../state/open';
import { duckdb } from '../test/helpers/warehouse';

const ROWS = Number(process.argv[2] ?? process.env.EBB_BENCH_ROWS ?? 1_000_000);

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ebb-plan-bench-'));
  try {
    const warehouse = path.join(dir, 'warehouse.duckdb');
    await duckdb(
      warehouse,
      `CREATE TABLE customers AS SELECT i::BIGINT AS customer_id, 'person.' || i || '@example.com' AS email,
         (['lead','mql','sql','customer','churned'])[1 + (i % 5)::INT] AS lifecycle_stage,
         (['bronze','silver','gold','platinum'])[1 + (hash(i) % 4)::INT] AS ltv_tier,
         round((hash(i * 7) % 1000)::DOUBLE / 1000, 3) AS churn_score,
         TIMESTAMP '2026-01-01' + to_seconds(i) AS updated_at
       FROM range(1, ${ROWS + 1}) t(i)`,
    );
    const spec = syncSpecSchema.parse({
      name: 'bench',
      source: { kind: 'duckdb', connection: { path: warehouse, ...(process.env.EBB_BENCH_SOURCE_MEMORY ? { memoryLimit: process.env.EBB_BENCH_SOURCE_MEMORY } : {}) } },
      model: { table: 'customers' },
      primaryKey: 'customer_id',
      destinations: [
        {
          name: 'pg', kind: 'postgres', connection: { url: 'postgres://unused/x' }, object: 'contacts', mode: 'mirror', batchSize: 5_000,
          mapping: { id: 'customer_id', email: 'email', lifecycle_stage: 'lifecycle_stage', ltv_tier: 'ltv_tier', churn_score: 'churn_score' },
        },
      ],
    });
    const store = await openStateStore(`duckdb:${path.join(dir, 'state.duckdb')}`);
    const ctx = createConnectorContext({ baseDir: dir });
    console.log(`before the first run: rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`);
    for (const runId of ['r1', 'r2']) {
      const phases: Record<string, number> = {};
      const source = openSource(spec.source, ctx);
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      await store.startRun({ runId, sync: spec.name, specHash: 'x', workflowId: 'w' });
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
      const plan = await planRun({
        spec, runId, fullResync: false, store, source,
        onPhase: (p, ms) => {
          phases[p] = Math.round(ms);
          phases[`${p} peak MB`] = Math.round(peak / 1e6);
          peak = 0;
        },
      });
      clearInterval(sampler);
      const ms = Math.round(performance.now() - t0);
      const cpu = process.cpuUsage(cpu0);
      await source.close();
      const d = plan.destinations[0];
      console.log(`${runId}: ${ms} ms (cpu ${Math.round((cpu.user + cpu.system) / 1000)} ms) ${JSON.stringify(phases)} adds=${d.adds} changes=${d.changes} unchanged=${d.unchanged} rss=${Math.round(process.memoryUsage().rss / 1e6)}MB`);
      if (runId === 'r1') {
        // Commit everything so the second run diffs against a full snapshot.
        for (let c = 0; c < d.chunks; c++) await store.recordChunk(runId, 'pg', c, []);
        await store.commitDestination({ runId, sync: spec.name, dest: 'pg' });
        await store.setRunStatus(runId, 'committed');
      }
    }
    await store.close();
    const hwm = /VmHWM:\s+(\d+) kB/.exec(await readFile('/proc/self/status', 'utf8'));
    if (hwm) console.log(`peak RSS ${Math.round(Number(hwm[1]) / 1024)} MB`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
