import type { Source, WarehouseSql } from '../connectors/types';
import { configError } from '../domain/errors';
import { keyOf } from '../domain/keys';
import { MODE_OPS } from '../domain/sync-modes';
import { mappedColumns, mappingVersion } from '../domain/mapping';
import { policyColumns, policyVersion } from '../domain/policy/evaluate';
import { primaryKeyColumns, type DestinationSpec, type InWarehouse, type SyncSpec } from '../domain/spec/schema';
import type { StageWriter, StateStore } from '../state/store';
import { commitInWarehouse } from './commit-in-warehouse';
import { mapForStage, type PlanMapper } from './stage-row';
import {
  countRunSnapshot,
  createCandidates,
  createCommitted,
  createMeta,
  createRunSnapshot,
  readMeta,
  readRemoves,
  readUpserts,
  RUN_TABLE,
  warehouseTables,
  type WarehouseTables,
} from './warehouse-diff-sql';

/** What staging from the warehouse tells the diff, per destination. */
export interface WarehouseStaged {
  rowsRead: number;
  nullKeys: number;
  /** Per destination: the diff options for {@link StateStore.diffDestination}. */
  destinations: Map<string, { subset: boolean; unchangedOutside: number; candidates: number }>;
}

/** Inputs of {@link stageFromWarehouse}. */
export interface WarehouseStageInput {
  spec: SyncSpec;
  inWarehouse: InWarehouse;
  runId: string;
  fullResync: boolean;
  store: StateStore;
  source: Source;
  mappers: readonly PlanMapper[];
  stage: StageWriter;
  onProgress?: (rowsRead: number) => void;
  /** Called as each phase ends, with its duration. */
  onPhase?: (phase: 'warehouse-snapshot' | 'warehouse-diff' | 'warehouse-read', ms: number) => void;
}

/**
 * In-warehouse change detection, the plan's half. In the warehouse, in one transaction (one
 * snapshot of the model): the model's keys and per-destination hashes of the columns each
 * mapping reads (salted with the mapping version, so a mapping change makes every row a
 * candidate) go into a run table; per destination, a SQL diff against the committed snapshot
 * gives the candidates; only the candidates' rows are read out, mapped and staged in the state
 * store, where the usual diff against the mapped-payload hashes decides what is sent. Rows the
 * warehouse found unchanged never leave it.
 *
 * The committed warehouse snapshot is trusted only when it reflects the state store's last
 * commit of the destination; otherwise (first run, a lost commit, a sync moved from the
 * state-store path) every key is a candidate once and the commit rebuilds it.
 */
export async function stageFromWarehouse(p: WarehouseStageInput): Promise<WarehouseStaged> {
  const { spec, runId, store } = p;
  const wh = warehouseOf(p.source, spec);
  const dialect = wh.dialect;
  const schema = p.inWarehouse.schema;
  const keyColumns = primaryKeyColumns(spec);
  const tables = spec.destinations.map((d) => warehouseTables(dialect, schema, spec.name, d.name, runId));

  const trusted = await catchUp(wh, p, tables);
  // Where statements commit one by one, a retry of this plan finds the run snapshot an earlier
  // attempt made (CREATE TABLE … AS appears whole or not at all) and reads it again: every
  // attempt of a run plans from the same data, as a time-travel pin would give.
  const pinned = dialect.transactional ? undefined : tables[0].names.run;
  const existing = await dropLeftovers(wh, schema, tables[0].syncPrefix, pinned);
  const reused = pinned !== undefined && existing.has(pinned);

  const modelSql = dialect.modelSql(spec.model);
  // Where statements do not share one snapshot, the rows read out are copied with the hashes.
  const readColumns = spec.destinations.map((d) => [...new Set([...keyColumns, ...hashedColumns(spec, d)])]);
  const copied = dialect.transactional ? undefined : [...new Set(readColumns.flat())];
  const policy = typeof spec.policy === 'object' ? spec.policy : undefined;
  let t = performance.now();
  const phase = (name: 'warehouse-snapshot' | 'warehouse-diff' | 'warehouse-read') => {
    const now = performance.now();
    p.onPhase?.(name, now - t);
    t = now;
  };
  const session = await wh.begin();
  try {
    if (!reused) {
      await session.exec(
        createRunSnapshot(dialect, tables[0], {
          modelSql,
          keyColumns,
          hashes: spec.destinations.map((d) => ({ columns: hashedColumns(spec, d), salt: `${mappingVersion(d)}:${policy ? policyVersion(policy) : ''}` })),
          copied,
        }),
      );
    }
    const [counts] = await session.query(countRunSnapshot(dialect, tables[0], keyColumns));
    const rowsRead = Number(counts.rows_read);
    const nullKeys = Number(counts.null_keys);
    p.onProgress?.(rowsRead);
    phase('warehouse-snapshot');
    const destinations = new Map<string, { subset: boolean; unchangedOutside: number; candidates: number }>();
    for (const [i, d] of spec.destinations.entries()) {
      for (const sql of createCommitted(dialect, tables[i], keyColumns, i, { exists: existing.has(tables[i].names.snap) })) await session.exec(sql);
      const mode = !trusted[i] ? 'rebuild' : p.fullResync ? 'every' : 'changed';
      await session.exec(createCandidates(dialect, tables[i], keyColumns, i, mode));
      phase('warehouse-diff');
      const mapper = p.mappers[i];
      let upsertRows = 0;
      let removes = 0;
      const from = copied ? `SELECT * FROM ${tables[0].run}` : modelSql;
      for await (const batch of session.stream(readUpserts(dialect, tables[i], from, keyColumns, readColumns[i]))) {
        for (const row of batch) {
          const key = keyOf(row, keyColumns);
          if (key === undefined) continue; // excluded by the candidates' SQL already
          const staged = mapForStage(mapper, row);
          // A suppressed row (no consent, no identity) is staged as gone, exactly as the
          // state-store path leaves it out: a mirror-mode destination removes what it held.
          const pending = p.stage.append({ dest: d.name, key, cursor: null, ref: Number(row._ebb_ref), ...(staged ?? { destId: '', payload: '', removed: true }) });
          if (pending) await pending;
          upsertRows++;
        }
      }
      for await (const batch of session.stream(readRemoves(dialect, tables[i], keyColumns))) {
        for (const row of batch) {
          const key = keyOf(row, keyColumns);
          if (key === undefined) continue;
          const pending = p.stage.append({ dest: d.name, key, cursor: null, destId: '', payload: '', ref: Number(row._ebb_ref), removed: true });
          if (pending) await pending;
          removes++;
        }
      }
      await store.recordWarehouseRun({ runId, dest: d.name, sync: spec.name, source: spec.source, schema, keyColumns, rebuild: mode === 'rebuild', keepRemoved: !MODE_OPS[d.mode].remove });
      phase('warehouse-read');
      destinations.set(d.name, { subset: mode !== 'rebuild', unchangedOutside: mode === 'rebuild' ? 0 : rowsRead - nullKeys - upsertRows, candidates: upsertRows + removes });
    }
    await session.exec(`DROP TABLE ${tables[0].run}`);
    await session.commit();
    return { rowsRead, nullKeys, destinations };
  } catch (err) {
    await session.rollback();
    throw err;
  }
}

/**
 * The model columns that decide what a destination gets: those its mapping reads and those
 * its consent policy reads (a consent change must make the row a candidate).
 */
function hashedColumns(spec: SyncSpec, d: DestinationSpec): string[] {
  const policy = typeof spec.policy === 'object' ? spec.policy : undefined;
  return [...new Set([...mappedColumns(d.mapping), ...(policy ? policyColumns(policy, { sync: spec.name, name: d.name, kind: d.kind }) : [])])];
}

/** The source's warehouse SQL, or a config error naming the field. */
export function warehouseOf(source: Source, spec: Pick<SyncSpec, 'source'>): WarehouseSql {
  if (!source.warehouse) {
    throw configError(`source kind "${spec.source.kind}" cannot diff inside the warehouse; remove changeDetection.inWarehouse to diff in the state store`, {
      path: 'changeDetection.inWarehouse',
    });
  }
  return source.warehouse;
}

/**
 * Per destination: finishes the warehouse half of the last commit if it was interrupted (the
 * state store committed, the warehouse did not), then says whether the committed warehouse
 * snapshot reflects the state store's last commit.
 */
async function catchUp(wh: WarehouseSql, p: WarehouseStageInput, tables: readonly WarehouseTables[]): Promise<boolean[]> {
  if (wh.ensureSchema) await wh.ensureSchema(p.inWarehouse.schema);
  const committedRuns = async () => {
    const s = await wh.begin();
    try {
      if (!wh.ensureSchema) await s.exec(`CREATE SCHEMA IF NOT EXISTS ${tables[0].schema}`);
      const runs: (string | undefined)[] = [];
      for (const t of tables) {
        await s.exec(createMeta(wh.dialect, t));
        const [m] = await s.query(readMeta(wh.dialect, t));
        runs.push(m?.committed_run == null ? undefined : String(m.committed_run));
      }
      await s.commit();
      return runs;
    } catch (err) {
      await s.rollback();
      throw err;
    }
  };
  const before = await committedRuns();
  const last = await Promise.all(p.spec.destinations.map((d) => p.store.lastCommittedRun(p.spec.name, d.name)));
  let caughtUp = false;
  for (const [i, d] of p.spec.destinations.entries()) {
    const lastRun = last[i];
    if (lastRun === undefined || before[i] === lastRun || lastRun === p.runId) continue;
    const run = await p.store.warehouseRun(lastRun, d.name);
    if (!run || run.schema !== p.inWarehouse.schema) continue; // planned in the state store: rebuild
    await commitInWarehouse(wh, p.store, run);
    caughtUp = true;
  }
  const after = caughtUp ? await committedRuns() : before;
  return after.map((run, i) => run !== undefined && run === last[i]);
}

/**
 * Drops run, candidate and pending tables of this sync's runs that never committed (dry runs,
 * failures), except `keep`, and returns the names of the sync's tables that remain.
 */
async function dropLeftovers(wh: WarehouseSql, schema: string, syncPrefix: string, keep?: string): Promise<Set<string>> {
  const s = await wh.begin();
  try {
    const rows = await s.query(wh.dialect.listTables(schema, syncPrefix));
    const kept = new Set<string>();
    for (const r of rows) {
      const name = String(r.table_name);
      if (!name.startsWith(syncPrefix)) continue;
      if (RUN_TABLE.test(name) && name !== keep) await s.exec(`DROP TABLE IF EXISTS ${wh.dialect.quote(schema)}.${wh.dialect.quote(name)}`);
      else kept.add(name);
    }
    await s.commit();
    return kept;
  } catch (err) {
    await s.rollback();
    throw err;
  }
}

