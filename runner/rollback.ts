/**
 * Rollback: write a run's before-images back, in chunks, through the same destination write
 * path as a sync (so the same retries, budgets and per-row results apply). Records the run
 * changed get their former values; records it created are deleted; records it deleted come
 * back. Each step is idempotent, so a retried or resumed rollback is safe.
 */
import { configError } from '../domain/errors';
import type { Destination, RecordWrite, RowResult } from '../connectors/types';
import type { BeforeImage, RollbackCounts, SafetyStore } from '../state/safety-store';

/** Inputs of {@link rollbackDestination}. */
export interface RollbackInput {
  runId: string;
  sync: string;
  dest: { name: string; object: string; batchSize: number };
  idField: string;
  destination: Destination;
  safety: SafetyStore;
  /** Restore even when later runs changed some of the same records since. */
  force: boolean;
  /** Resume after this seq (a retried activity's last heartbeat). */
  afterSeq?: number;
  /** Counts carried from the attempt being resumed. */
  counts?: RollbackCounts;
  /** After each chunk: the last seq done and counts so far (heartbeats). */
  onChunk?: (progress: { afterSeq: number; counts: RollbackCounts }) => void;
}

/** Restores one destination of one run. Throws a config error when it must refuse. */
export async function rollbackDestination(p: RollbackInput): Promise<RollbackCounts> {
  const total = await p.safety.countBeforeImages(p.runId, p.dest.name);
  if (total === 0) {
    throw configError(`run ${p.runId} kept no before-images for destination ${p.dest.name}, so it cannot be rolled back (before-images are kept when the sync sets beforeImages, canary or autoHalt)`, {
      destination: p.dest.name,
      path: 'beforeImages',
    });
  }
  if (!p.force && (p.afterSeq ?? 0) === 0) {
    const later = await p.safety.laterChanges(p.runId, p.dest.name);
    if (later.length) {
      const which = later.map((l) => `${l.runId} (${l.records} records)`).join(', ');
      throw configError(`refusing to roll back run ${p.runId} on ${p.dest.name}: later runs changed the same records since: ${which}. Restoring would overwrite their writes; roll those back first, or force it`, {
        destination: p.dest.name,
        path: 'force',
      });
    }
  }
  let afterSeq = p.afterSeq ?? 0;
  const counts: RollbackCounts = { ...(p.counts ?? { restored: 0, deleted: 0, failed: 0 }) };
  for (;;) {
    const images = await p.safety.readBeforeImages(p.runId, p.dest.name, afterSeq, p.dest.batchSize);
    if (images.length === 0) break;
    const records = images.map((b) => restoreRecord(b, p.idField));
    const { results } = await p.destination.write({
      object: p.dest.object,
      idField: p.idField,
      records,
      idempotencyKey: `rollback:${p.runId}:${p.dest.name}:${images[0].seq}`,
    });
    const status = new Map(results.map((r: RowResult) => [r.seq, r.status]));
    for (const r of records) {
      if (status.get(r.seq) !== 'ok') counts.failed++;
      else if (r.op === 'delete') counts.deleted++;
      else counts.restored++;
    }
    afterSeq = images[images.length - 1].seq;
    p.onChunk?.({ afterSeq, counts });
  }
  return counts;
}

/** The write that undoes one change. */
export function restoreRecord(b: BeforeImage, idField: string): RecordWrite {
  const id = JSON.parse(b.idValue) as unknown;
  if (!b.existed) return { seq: b.seq, key: b.key, op: 'delete', fields: { [idField]: id } };
  return { seq: b.seq, key: b.key, op: 'upsert', fields: { [idField]: id, ...(b.image ?? {}) } };
}
