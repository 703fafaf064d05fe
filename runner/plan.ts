import { createHash } from 'node:crypto';
import type { ColumnInfo, ReadRequest, Source } from '../connectors/types';
import { describeDrift, schemaDrift } from '../domain/alerts';
import { configError, dataError } from '../domain/errors';
import { keyOf } from '../domain/keys';
import { compileMapping, mappedColumns, mappingVersion } from '../domain/mapping';
import { compileConsent, policyColumns, policyVersion } from '../domain/policy/evaluate';
import type { RunPlan } from '../domain/plan';
import { canonicalJson } from '../domain/row-hash';
import { identityFieldOf, primaryKeyColumns, type SyncSpec } from '../domain/spec/schema';
import { cursorBound, readFrom, toCursor, type CursorKind } from '../domain/watermark';
import type { StageWriter, StateStore } from '../state/store';
import { changeTrackingOf, readPinned, stageFromChanges, type CdcStaged } from './plan-cdc';
import { stageFromWarehouse, type WarehouseStaged } from './plan-in-warehouse';
import { mapForStage, type PlanMapper } from './stage-row';

/** Inputs of the plan step. */
export interface PlanInput {
  spec: SyncSpec;
  runId: string;
  fullResync: boolean;
  store: StateStore;
  source: Source;
  /** Called after each source batch with the rows read so far (for heartbeats). */
  onProgress?: (rowsRead: number) => void;
  /** Called as each phase ends, with its duration (for the benchmark). */
  onPhase?: (phase: PlanPhase, ms: number) => void;
}

/** The timed phases of a plan. */
export type PlanPhase = 'warehouse-snapshot' | 'warehouse-diff' | 'warehouse-read' | 'stage' | 'diff';

/**
 * The plan step: one consistent read of the model, streamed; every row mapped and hashed per
 * destination and staged in the state store; then, per destination, a diff against the last
 * committed snapshot inside the database. Returns counts only: the change set stays staged.
 * Memory is bounded by the source's batch size, whatever the model's size.
 *
 * With `changeDetection.inWarehouse`, the warehouse diffs first and only its candidates are
 * read out and staged (see `plan-in-warehouse.ts`); the state store's diff then runs as usual.
 * With `changeDetection.mode: cdc`, only the keys the source's change tracking reports changed
 * since the committed point are staged, read at the run's pinned time (see `plan-cdc.ts`).
 */
export async function planRun(p: PlanInput): Promise<RunPlan> {
  const { spec, store, source, runId } = p;
  const columns = await source.columns(spec.model);
  checkColumns(spec, columns);
  const modelColumns = Object.fromEntries(columns.map((c) => [c.name, c.type]));
  const previous = await store.lastCommittedModel(spec.name, runId);
  const drift = spec.schemaDrift === 'ignore' ? undefined : schemaDrift(previous?.columns, modelColumns);
  if (drift && spec.schemaDrift === 'fail') {
    // Before anything is read or written: the policy says a changed model needs a human.
    throw dataError(`the model's columns changed since the last committed run (${describeDrift(drift)}); schemaDrift policy is "fail": review the model and the mappings, then set schemaDrift to warn for one run or update the spec`, { path: 'schemaDrift' });
  }

  const policy = resolvedPolicy(spec);
  const mappers: PlanMapper[] = spec.destinations.map((d) => ({
    name: d.name,
    map: compileMapping(d.mapping),
    idField: identityFieldOf(spec.primaryKey, d) as string, // validated non-empty by the spec schema
    ...(d.matchOn ? { matchOn: d.matchOn } : {}),
    consent: policy ? compileConsent(policy, { sync: spec.name, name: d.name, kind: d.kind }) : undefined,
    suppressed: {} as Record<string, number>,
  }));
  const cd = spec.changeDetection;
  const cursorColumn = cd.mode === 'watermark' ? cd.column : undefined;
  const since = cd.mode === 'watermark' && !p.fullResync ? await watermarkBound(spec, store, columns) : undefined;
  if (cd.mode === 'cdc') changeTrackingOf(spec, source);

  await store.resetRun(runId);
  await store.dropDryRuns(spec.name, runId);
  const inWarehouse = cd.mode === 'diff' ? cd.inWarehouse : undefined;
  let read: { rowsRead: number; nullKeys: number; high?: number };
  let warehouse: WarehouseStaged | undefined;
  let cdc: CdcStaged | undefined;
  const stage = await store.openStage(runId);
  const started = performance.now();
  try {
    if (inWarehouse) {
      warehouse = await stageFromWarehouse({ spec, inWarehouse, runId, fullResync: p.fullResync, store, source, mappers, stage, onProgress: p.onProgress, onPhase: p.onPhase });
      read = warehouse;
    } else if (cd.mode === 'cdc') {
      cdc = await stageFromChanges({ spec, runId, fullResync: p.fullResync, store, source, columns: neededColumns(spec), modelColumns, mappers, stage, onProgress: p.onProgress });
      read = cdc;
    } else {
      read = await stageFromSource(p, mappers, stage, since, cursorColumn);
    }
  } finally {
    await stage.close();
  }
  const { rowsRead, nullKeys, high } = read;
  if (!inWarehouse) p.onPhase?.('stage', performance.now() - started);
  const diffStarted = performance.now();

  const destinations = [];
  for (const [i, d] of spec.destinations.entries()) {
    const suppressed = mappers[i].suppressed;
    destinations.push({
      mappingVersion: mappingVersion(d),
      ...(Object.keys(suppressed).length ? { suppressed } : {}),
      ...(await store.diffDestination({
        runId,
        sync: spec.name,
        dest: d.name,
        mode: d.mode,
        chunkSize: d.batchSize,
        detectRemoves: cd.mode !== 'watermark',
        fullResync: p.fullResync,
        warehouse: warehouse?.destinations.get(d.name) ?? cdc?.destinations?.get(d.name),
        ...(cdc ? { removeCursor: cdc.removeCursor } : {}),
        cohort: spec.canary?.cohort,
      })),
      ...(warehouse ? { warehouseCandidates: warehouse.destinations.get(d.name)?.candidates } : {}),
    });
  }
  await store.dropStage(runId);
  p.onPhase?.('diff', performance.now() - diffStarted);
  await store.setRunModel(runId, rowsRead, modelColumns);
  // In watermark mode with no rows read, keep the committed watermark where it is.
  // A watermark read sees only recent rows, so its size says nothing about the model's volume.
  const previousRowsRead = cd.mode === 'diff' ? previous?.rowsRead : undefined;
  const modelVersion = createHash('sha256').update(canonicalJson(spec.model)).digest('hex').slice(0, 12);
  return { runId, rowsRead, nullKeys, watermarkHigh: high, destinations, previousRowsRead, schemaDrift: drift, modelVersion, ...(policy ? { policyVersion: policyVersion(policy) } : {}) };
}

/** The policy object loadSpec resolved (a file name left unresolved here is a bug upstream). */
function resolvedPolicy(spec: SyncSpec) {
  if (spec.policy === undefined) return undefined;
  if (typeof spec.policy === 'string') throw configError(`policy file ${spec.policy} was not loaded`, { path: 'policy' });
  return spec.policy;
}

/** Streams the whole model out of the source, maps every row per destination and stages it. */
async function stageFromSource(
  p: PlanInput,
  mappers: readonly PlanMapper[],
  stage: StageWriter,
  since: ReadRequest['since'],
  cursorColumn: string | undefined,
): Promise<{ rowsRead: number; nullKeys: number; high?: number }> {
  const pk = primaryKeyColumns(p.spec);
  let rowsRead = 0;
  let nullKeys = 0;
  let high: number | undefined;
  const request = { model: p.spec.model, since, batchSize: 5_000, columns: neededColumns(p.spec) };
  // Diff mode pins the read by time travel where the source can, so a retried plan reads the same data.
  const read = p.spec.changeDetection.mode === 'diff' ? await readPinned(p, request) : p.source.read(request);
  for await (const batch of read) {
    for (const row of batch) {
      const key = keyOf(row, pk);
      if (key === undefined) {
        nullKeys++;
        continue;
      }
      let cursor: number | null = null;
      if (cursorColumn !== undefined) {
        const c = toCursor(row[cursorColumn]);
        if (c) {
          cursor = c.value;
          if (high === undefined || c.value > high) high = c.value;
        }
      }
      for (const m of mappers) {
        const staged = mapForStage(m, row);
        if (!staged) continue;
        const pending = stage.append({ dest: m.name, key, cursor, ...staged });
        if (pending) await pending;
      }
    }
    rowsRead += batch.length;
    p.onProgress?.(rowsRead);
  }
  return { rowsRead, nullKeys, high };
}

/** The columns a run reads: the key, the cursor and whatever the mappings use. */
function neededColumns(spec: SyncSpec): string[] {
  const cols = new Set(primaryKeyColumns(spec));
  if (spec.changeDetection.mode === 'watermark') cols.add(spec.changeDetection.column);
  for (const d of spec.destinations) for (const c of mappedColumns(d.mapping)) cols.add(c);
  if (spec.policy && typeof spec.policy === 'object') {
    for (const d of spec.destinations) for (const c of policyColumns(spec.policy, { sync: spec.name, name: d.name, kind: d.kind })) cols.add(c);
  }
  return [...cols];
}

/** Every column the spec reads must exist in the model: say which field wants which missing column. */
function checkColumns(spec: SyncSpec, columns: readonly ColumnInfo[]): void {
  const have = new Set(columns.map((c) => c.name));
  const known = columns.map((c) => c.name).join(', ');
  for (const c of primaryKeyColumns(spec)) {
    if (!have.has(c)) throw configError(`primary key column "${c}" is not in the model (columns: ${known})`, { path: 'primaryKey' });
  }
  if (spec.changeDetection.mode === 'watermark' && !have.has(spec.changeDetection.column)) {
    throw configError(`watermark column "${spec.changeDetection.column}" is not in the model (columns: ${known})`, { path: 'changeDetection.column' });
  }
  if (spec.policy && typeof spec.policy === 'object') {
    const policy = spec.policy;
    for (const [purpose, p] of Object.entries(policy.purposes)) {
      if (p && !have.has(p.consentColumn)) throw configError(`consent column "${p.consentColumn}" is not in the model (columns: ${known})`, { path: `policy.purposes.${purpose}.consentColumn` });
    }
    if (policy.regions && !have.has(policy.regions.column)) throw configError(`region column "${policy.regions.column}" is not in the model (columns: ${known})`, { path: 'policy.regions.column' });
  }
  spec.destinations.forEach((d, i) => {
    for (const [field, m] of Object.entries(d.mapping)) {
      for (const c of mappedColumns({ [field]: m })) {
        if (!have.has(c)) {
          throw configError(`column "${c}" is not in the model (columns: ${known})`, { destination: d.name, path: `destinations[${i}].mapping.${field}` });
        }
      }
    }
  });
}

/**
 * Where a watermark read starts: the lowest committed watermark over the destinations, minus
 * the lookback. Undefined (a full read) until every destination has committed once.
 */
async function watermarkBound(spec: SyncSpec, store: StateStore, columns: readonly ColumnInfo[]) {
  const cd = spec.changeDetection;
  if (cd.mode !== 'watermark') return undefined;
  const marks = await store.watermarks(spec.name);
  // A point a cdc run committed is a time on the warehouse's clock, not this column's cursor.
  const cdc = await store.cdcPoints(spec.name);
  const values = spec.destinations.map((d) => (cdc.get(d.name)?.basis === undefined ? marks.get(d.name) : undefined));
  if (values.some((v) => v === undefined)) return undefined;
  const type = columns.find((c) => c.name === cd.column)?.type ?? '';
  const kind: CursorKind = /time|date/i.test(type) ? 'timestamp' : 'number';
  const from = readFrom(Math.min(...(values as number[])), kind, cd.lookback);
  return { column: cd.column, value: cursorBound(from, kind) };
}
