import type { WarehouseSql } from '../connectors/types';
import type { StateStore, WarehouseRun } from '../state/store';
import { createPending, insertPending, mergeCommitted, readMeta, warehouseTables, writeMeta } from './warehouse-diff-sql';

/** Refs pushed to the warehouse per statement. */
const REF_PAGE = 5_000;

/**
 * In-warehouse change detection, the commit's half: called after the state store committed
 * the destination's run, so the warehouse snapshot never runs ahead of what the destination
 * acknowledged. In one warehouse transaction where the warehouse has them: the refs the
 * destination did not take are copied into a pending table (a page at a time), the committed
 * snapshot takes the run's candidates (those refs and duplicated keys with a NULL hash:
 * candidates again next run), the meta records the run, and the candidates are dropped.
 * Idempotent: a repeated call is a no-op, and one cut short is finished by the next.
 */
export async function commitInWarehouse(wh: WarehouseSql, store: StateStore, run: WarehouseRun): Promise<void> {
  const d = wh.dialect;
  const t = warehouseTables(d, run.schema, run.sync, run.dest, run.runId);
  const s = await wh.begin();
  try {
    const [meta] = await s.query(readMeta(d, t));
    const tables = await s.query(d.listTables(run.schema, t.names.cand));
    const candidates = tables.some((r) => r.table_name === t.names.cand);
    if (meta?.committed_run === run.runId || !candidates) {
      // Already committed; or the candidates are gone without a commit (dropped by hand): the
      // snapshot then no longer reflects the state store, and the next run rebuilds it.
      if (meta?.committed_run !== run.runId) for (const sql of writeMeta(d, t, null)) await s.exec(sql);
      await s.commit();
      return;
    }
    for (const sql of createPending(d, t)) await s.exec(sql);
    for (let after = 0; ; ) {
      const refs = await store.uncommittedRefs(run.runId, run.dest, after, REF_PAGE);
      if (refs.length === 0) break;
      await s.exec(insertPending(d, t, refs));
      after = refs[refs.length - 1];
    }
    for (const sql of mergeCommitted(d, t, run.keyColumns, { rebuild: run.rebuild, keepRemoved: run.keepRemoved })) await s.exec(sql);
    // A rebuild cannot keep a remove the destination did not take (the warehouse never knew
    // the key): leave the snapshot untrusted so the next run rebuilds and finds it again.
    const unrefd = await store.uncommittedWithoutRef(run.runId, run.dest);
    for (const sql of writeMeta(d, t, unrefd > 0 ? null : run.runId)) await s.exec(sql);
    // Last, so that a warehouse without transactions that stops before here redoes the merge.
    await s.exec(`DROP TABLE ${t.cand}`);
    await s.exec(`DROP TABLE ${t.pend}`);
    await s.commit();
  } catch (err) {
    await s.rollback();
    throw err;
  }
}
