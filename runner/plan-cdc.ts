/**
 * Staging for `changeDetection.mode: cdc`: the run pins one point of the source's clock (kept in
 * the run record, so a retried plan reads the same data) and reads either the whole table as of
 * that point, or only the keys the warehouse's change tracking says changed since the last
 * committed point. The committed point is stored like a numeric watermark (epoch ms): the commit
 * advances it to the pin, but every staged row carries the read's start as its cursor, so a row
 * the destination rejected (or never acknowledged) holds the point back and is read again.
 *
 * Diff mode's full reads are pinned the same way where the source can travel in time
 * ({@link readPinned}).
 */
import { createHash } from 'node:crypto';
import type { ChangeTracking, ReadRequest, Row, Source } from '../connectors/types';
import { configError, EbbError, fatalError } from '../domain/errors';
import { keyOf } from '../domain/keys';
import { mappingVersion } from '../domain/mapping';
import { policyVersion } from '../domain/policy/evaluate';
import { canonicalJson } from '../domain/row-hash';
import { primaryKeyColumns, type SyncSpec } from '../domain/spec/schema';
import type { StageWriter, StateStore } from '../state/store';
import { mapForStage, type PlanMapper } from './stage-row';

/**
 * The cursor of rows read by a full read. A pending row of a full read holds the committed point
 * here, and a point at or below it means "no point": the next run reads the whole table again,
 * and the state store's hash diff sends only what the destination does not hold yet.
 */
export const NO_POINT = 0;

/** Inputs of {@link stageFromChanges}. */
export interface CdcStageInput {
  spec: SyncSpec;
  runId: string;
  fullResync: boolean;
  store: StateStore;
  source: Source;
  /** The columns read (key, mappings, policy). */
  columns: readonly string[];
  /** The model's column types (name → type), part of the basis. */
  modelColumns: Record<string, string>;
  mappers: readonly PlanMapper[];
  stage: StageWriter;
  onProgress?: (rowsRead: number) => void;
}

/** What a cdc staging read. `high` is the pinned point, the commit's watermark high mark. */
export interface CdcStaged {
  rowsRead: number;
  nullKeys: number;
  high: number;
  /** Where the read started (epoch ms); undefined for a full read. */
  since?: number;
  /** Per destination, for the diff: the stage holds only changed keys (`subset`), removed ones as markers. */
  destinations?: Map<string, { subset: true }>;
  /** The cursor for removed keys' changes, so a pending delete holds the point back too. */
  removeCursor: number;
}

/** The source's change tracking, or a config error naming the source kind. */
export function changeTrackingOf(spec: SyncSpec, source: Source): ChangeTracking {
  if (!source.changes) {
    throw configError(`sync "${spec.name}": source kind "${spec.source.kind}" has no change tracking; changeDetection.mode "cdc" needs a source that has it (snowflake), or use changeDetection.mode "diff"`, {
      sync: spec.name,
      path: 'changeDetection.mode',
    });
  }
  return source.changes;
}

/**
 * What a cdc read is mapped by: the mappings, the policy, the key and the types of the columns
 * read. Rows the change set does not touch keep the payloads an earlier basis mapped, so a
 * change of basis needs one full read (the hash diff then sends what the new basis changed).
 */
export function cdcBasis(spec: SyncSpec, columns: readonly string[], modelColumns: Record<string, string>): string {
  const basis = {
    key: primaryKeyColumns(spec),
    destinations: spec.destinations.map((d) => [d.name, mappingVersion(d)]),
    policy: typeof spec.policy === 'object' ? policyVersion(spec.policy) : null,
    columns: [...columns].sort().map((c) => [c, modelColumns[c] ?? null]),
  };
  return createHash('sha256').update(canonicalJson(basis)).digest('hex').slice(0, 16);
}

/**
 * Pins the run, then stages the whole table at the pin (no committed point for some
 * destination, a changed basis, a rollback since, or a full resync) or only the keys changed
 * since the lowest committed point.
 */
export async function stageFromChanges(p: CdcStageInput): Promise<CdcStaged> {
  const changes = changeTrackingOf(p.spec, p.source);
  try {
    const basis = cdcBasis(p.spec, p.columns, p.modelColumns);
    const until = (await p.store.runPin(p.runId)) ?? (await p.store.pinRun(p.runId, await changes.now(), basis));
    if (until === undefined) throw fatalError(`run ${p.runId} was not started: no run record to pin its reads in`, { sync: p.spec.name, step: 'plan' });
    await changes.checkTracking(p.spec.model, until);
    const committed = await p.store.cdcPoints(p.spec.name);
    const points = p.spec.destinations.map((d) => {
      const c = committed.get(d.name);
      return c && c.basis === basis && !c.rolledBack ? c.value : undefined;
    });
    const since = p.fullResync || points.some((v) => v === undefined || v <= NO_POINT) ? undefined : Math.min(...(points as number[]));
    if (since === undefined) return { ...(await stageAll(p, changes, until)), high: until, removeCursor: NO_POINT };
    return await stageChanged(p, changes, since, until);
  } catch (err) {
    if (err instanceof EbbError && err.kind === 'config' && err.context.sync === undefined) {
      throw configError(`sync "${p.spec.name}": ${err.message}`, { ...err.context, sync: p.spec.name, cause: err });
    }
    throw err;
  }
}

/**
 * A diff-mode read of the whole model, pinned by time travel where the source can (a table the
 * source can read as of the run's pin): a retried plan of the run then reads the same data.
 * Elsewhere (no time travel, a SQL model, no run record) the plain read.
 */
export async function readPinned(p: { spec: SyncSpec; runId: string; store: StateStore; source: Source }, request: ReadRequest): Promise<AsyncIterable<Row[]>> {
  const changes = p.source.changes;
  if (!changes || !('table' in p.spec.model) || request.since) return p.source.read(request);
  const at = (await p.store.runPin(p.runId)) ?? (await p.store.pinRun(p.runId, await changes.now()));
  if (at === undefined || !(await changes.canReadAt(p.spec.model, at))) return p.source.read(request);
  return changes.readAt({ ...request, at });
}

/** Every row of the table as of `until`, cursor {@link NO_POINT}. */
async function stageAll(p: CdcStageInput, changes: ChangeTracking, until: number) {
  const pk = primaryKeyColumns(p.spec);
  let rowsRead = 0;
  let nullKeys = 0;
  for await (const batch of changes.readAt({ model: p.spec.model, at: until, columns: p.columns, batchSize: 5_000 })) {
    for (const row of batch) {
      const key = keyOf(row, pk);
      if (key === undefined) {
        nullKeys++;
        continue;
      }
      for (const m of p.mappers) {
        const staged = mapForStage(m, row);
        if (!staged) continue;
        const pending = p.stage.append({ dest: m.name, key, cursor: NO_POINT, ...staged });
        if (pending) await pending;
      }
    }
    rowsRead += batch.length;
    p.onProgress?.(rowsRead);
  }
  return { rowsRead, nullKeys };
}

/** The keys changed in `(since, until]`: their rows at `until`, or removal markers. */
async function stageChanged(p: CdcStageInput, changes: ChangeTracking, since: number, until: number): Promise<CdcStaged> {
  const pk = primaryKeyColumns(p.spec);
  let rowsRead = 0;
  let nullKeys = 0;
  // A committed point at or past the pin (the warehouse clock set back) has nothing newer to read.
  const read = since < until ? changes.readChanges({ model: p.spec.model, keyColumns: pk, since, until, columns: p.columns, batchSize: 5_000 }) : [];
  for await (const batch of read) {
    for (const { row, removed } of batch) {
      const key = keyOf(row, pk);
      if (key === undefined) {
        nullKeys++;
        continue;
      }
      for (const m of p.mappers) {
        // A row that may no longer be sent (consent withdrawn, identity gone) leaves the destination like a removed one.
        const staged = removed ? undefined : mapForStage(m, row);
        const pending = p.stage.append({ dest: m.name, key, cursor: since, ...(staged ?? { destId: '', payload: '', removed: true }) });
        if (pending) await pending;
      }
    }
    rowsRead += batch.length;
    p.onProgress?.(rowsRead);
  }
  // The committed keys the change set did not touch are unchanged; the diff counts them.
  const destinations = new Map(p.mappers.map((m) => [m.name, { subset: true as const }]));
  return { rowsRead, nullKeys, high: until, since, destinations, removeCursor: since };
}
