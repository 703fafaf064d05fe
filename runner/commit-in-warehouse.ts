import type { WarehouseSql } from '../connectors/types';
import type { StateStore, WarehouseRun } from '../state/store';
import { candidatesExist, mergeCommitted, readMeta, warehouseTables, writeMeta } from './warehouse-diff-sql';

/** Refs pushed to the warehouse per statement. */
const REF_PAGE = 5_000;

/**
 * In-warehouse change detection, the commit's half: called after the state store committed
 * the destination's run, so the warehouse snapshot never runs ahead of what the destination
 * acknowledged. In one warehouse transaction: the refs the destination did not take are copied
 * into a temporary table (a page at a time), the committed snapshot takes the run's candidates
 * (those refs and duplicated keys with a NULL hash: candidates again next run), the meta
 * records the run, and the candidates are dropped. Idempotent: a repeated call is a no-op.
 */
export async function commitInWarehouse(wh: WarehouseSql, store: StateStore, run: WarehouseRun): Promise<void> {
  const t = warehouseTables(run.schema, run.sync, run.dest, run.runId);
  const s = await wh.begin();
  try {
    const [meta] = await s.query(readMeta(t));
    const [cand] = await s.query(candidatesExist(run.schema, t.candName));
    if (meta?.committed_run === run.runId || Number(cand.n) === 0) {
      // Already committed; or the candidates are gone without a commit (dropped by hand): the
      // snapshot then no longer reflects the state store, and the next run rebuilds it.
      if (meta?.committed_run !== run.runId) for (const sql of writeMeta(t, null)) await s.exec(sql);
      await s.commit();
      return;
    }
    const pending = 'ebb_pending_refs';
    await s.exec(`DROP TABLE IF EXISTS ${pending}`);
    await s.exec(`CREATE TEMPORARY TABLE ${pending} (ref BIGINT)`);
    for (let after = 0; ; ) {
      const refs = await store.uncommittedRefs(run.runId, run.dest, after, REF_PAGE);
      if (refs.length === 0) break;
      await s.exec(`INSERT INTO ${pending} (ref) VALUES ${refs.map((r) => `(${Math.trunc(r)})`).join(', ')}`);
      after = refs[refs.length - 1];
    }
    for (const sql of mergeCommitted(t, run.keyColumns, pending, { rebuild: run.rebuild, keepRemoved: run.keepRemoved })) await s.exec(sql);
    // A rebuild cannot keep a remove the destination did not take (the warehouse never knew
    // the key): leave the snapshot untrusted so the next run rebuilds and finds it again.
    const unrefd = await store.uncommittedWithoutRef(run.runId, run.dest);
    for (const sql of writeMeta(t, unrefd > 0 ? null : run.runId)) await s.exec(sql);
    await s.exec(`DROP TABLE ${t.cand}`);
    await s.exec(`DROP TABLE ${pending}`);
    await s.commit();
  } catch (err) {
    await s.rollback();
    throw err;
  }
}
