import { setTimeout as sleep } from 'node:timers/promises';
import type { Destination, RecordWrite, RowResult } from '../connectors/types';
import type { ChunkSlice } from '../domain/chunking';
import { addOutcomes, NO_OUTCOMES, type OutcomeCounts } from '../domain/plan';
import type { DestinationSpec } from '../domain/spec/schema';
import type { StagedChange, StagedChunk, StateStore } from '../state/store';
import { haltReason } from '../domain/canary';
import type { AutoHaltSpec } from '../domain/spec/safety';
import { captureBeforeImages, type CaptureInput } from './before-images';
import { matchIdentities } from './match-identities';

/** Rows read from the stage per query while applying. */
const READ_WINDOW_ROWS = 10_000;

/** Inputs of one apply slice. */
export interface ApplyInput {
  runId: string;
  dest: DestinationSpec;
  idField: string;
  slice: ChunkSlice;
  store: StateStore;
  destination: Destination;
  /** Called after each chunk the destination answered (heartbeats, metrics): totals so far, this chunk's counts and write time. */
  onChunk?: (progress: { chunk: number; outcomes: OutcomeCounts; written: OutcomeCounts; writeMs: number; waitedMs: number }) => void;
  /** In-process retries of rows the destination called retryable. Default 2. */
  rowRetries?: number;
  /** Provenance values, written into the fields `dest.provenance` names (never part of the row hash). */
  provenance?: Provenance;
  /** Read and keep each chunk's before-images before writing it (for rollback). */
  beforeImages?: Omit<CaptureInput, 'runId' | 'destination' | 'idField'>;
  /**
   * Auto-halt: stop after the chunk whose answer takes the destination's rejection rate (counting
   * `prior`, the run's outcomes before this slice) over the threshold.
   */
  autoHalt?: { rule: Pick<AutoHaltSpec, 'rejectionRate' | 'minRows'>; prior: OutcomeCounts };
}

/** What a run stamps on the records it writes, when the destination asks for it. */
export interface Provenance {
  runId: string;
  syncedAt: string;
  mappingVersion: string;
  modelVersion?: string;
  sync: string;
}

/** Outcome of a slice. */
export interface ApplyResult extends OutcomeCounts {
  chunksWritten: number;
  /** Chunks already acknowledged by an earlier attempt, not sent again. */
  chunksSkipped: number;
  /** Set when auto-halt stopped the slice: why. */
  halted?: string;
  /** Milliseconds the slice waited on the shared request budget (set by the activity). */
  budgetWaitMs?: number;
}

/**
 * Writes a slice of chunks to a destination. Each chunk is read back from the stage, written,
 * and its outcome recorded before the next one, so after a crash only the chunk in flight is
 * sent again: acknowledged chunks are skipped on retry.
 */
export async function applySlice(p: ApplyInput): Promise<ApplyResult> {
  const { runId, dest, store } = p;
  const acked = await store.ackedChunks(runId, dest.name, p.slice.from, p.slice.to);
  // Chunks are read a few at a time (about READ_WINDOW_ROWS rows): one query per window, and
  // memory bounded by the window, not by the slice.
  const window = Math.max(1, Math.floor(READ_WINDOW_ROWS / Math.max(1, p.dest.batchSize)));
  let read = new Map<number, StagedChunk>();
  let readTo = p.slice.from;
  let outcomes: OutcomeCounts = NO_OUTCOMES;
  let chunksWritten = 0;
  let chunksSkipped = 0;
  for (let chunk = p.slice.from; chunk < p.slice.to; chunk++) {
    if (acked.has(chunk)) {
      chunksSkipped++;
      continue;
    }
    if (chunk >= readTo) {
      readTo = Math.min(chunk + window, p.slice.to);
      read = await store.readChunks(runId, dest.name, chunk, readTo);
    }
    const staged = read.get(chunk)?.changes ?? [];
    const bytes = read.get(chunk)?.bytes ?? 0;
    read.delete(chunk); // let written chunks be collected
    if (staged.length === 0) continue;
    const started = performance.now();
    const stamp = provenanceFields(p.dest, p.provenance);
    const records = staged.map((s) => {
      const r = toRecord(s, p.idField, p.dest.matchOn !== undefined);
      return stamp && r.op !== 'delete' ? { ...r, fields: { ...r.fields, ...stamp } } : r;
    });
    if (p.beforeImages) await captureBeforeImages({ ...p.beforeImages, runId, destination: p.destination, idField: p.idField }, records);
    const { results, retryAfterMs } = p.dest.matchOn ? await writeMatched(p, records, p.dest.matchOn) : await writeChunk(p, records, p.idField);
    const writeMs = performance.now() - started;
    const keyOfSeq = new Map(staged.map((s) => [s.seq, s.key]));
    await store.recordChunk(runId, dest.name, chunk, results.map((r) => ({ ...r, key: keyOfSeq.get(r.seq) as string })));
    const counts = { ...countResults(results), bytesSent: bytes };
    outcomes = addOutcomes(outcomes, counts);
    chunksWritten++;
    // The destination asked us to slow down: honour it before the next chunk (a rate-budget wait).
    const waitedMs = retryAfterMs ? Math.min(retryAfterMs, 60_000) : 0;
    p.onChunk?.({ chunk, outcomes, written: counts, writeMs, waitedMs });
    const halted = p.autoHalt && haltReason(dest.name, addOutcomes(p.autoHalt.prior, outcomes), p.autoHalt.rule);
    if (halted) return { ...outcomes, chunksWritten, chunksSkipped, halted };
    if (waitedMs) await sleep(waitedMs);
  }
  return { ...outcomes, chunksWritten, chunksSkipped };
}

/** Writes a chunk under identity precedence: one write per identifier the records matched. */
async function writeMatched(p: ApplyInput, records: RecordWrite[], matchOn: readonly string[]): Promise<{ results: RowResult[]; retryAfterMs?: number }> {
  const groups = await matchIdentities(p.destination, p.dest, matchOn, records);
  const results: RowResult[] = [];
  let retryAfterMs: number | undefined;
  for (const g of groups) {
    const r = await writeChunk(p, g.records, g.idField);
    results.push(...r.results);
    retryAfterMs = r.retryAfterMs ?? retryAfterMs;
  }
  return { results, retryAfterMs };
}

/** Writes one chunk; rows the destination calls retryable get a few more tries in place. */
async function writeChunk(p: ApplyInput, records: RecordWrite[], idField: string): Promise<{ results: RowResult[]; retryAfterMs?: number }> {
  const idempotencyKey = `${p.runId}:${p.dest.name}:${records[0].seq}`;
  const batch = { object: p.dest.object, idField, idempotencyKey };
  const first = await p.destination.write({ ...batch, records });
  const final = new Map<number, RowResult>();
  for (const r of first.results) final.set(r.seq, r);
  let retryAfterMs = first.retryAfterMs;
  for (let attempt = 1; attempt <= (p.rowRetries ?? 2); attempt++) {
    const again = records.filter((r) => final.get(r.seq)?.status === 'retryable');
    if (again.length === 0) break;
    await sleep(Math.min(retryAfterMs ?? 200 * 2 ** attempt, 30_000));
    const r = await p.destination.write({ ...batch, idempotencyKey: `${idempotencyKey}:retry${attempt}`, records: again });
    for (const x of r.results) final.set(x.seq, x);
    retryAfterMs = r.retryAfterMs;
  }
  // A destination that forgot a row has not acknowledged it: keep it for the next run.
  const results = records.map(
    (r): RowResult => final.get(r.seq) ?? { seq: r.seq, status: 'retryable', reason: 'the destination returned no result for this row' },
  );
  return { results, retryAfterMs };
}

function toRecord(s: StagedChange, idField: string, matchOn: boolean): RecordWrite {
  const given = s.fields ?? (s.payload !== null ? (JSON.parse(s.payload) as Record<string, unknown>) : null);
  if (given) return { seq: s.seq, key: s.key, op: s.op, fields: given };
  // A delete carries the identity last committed: one value, or (matchOn) every identifier it had.
  const committed = s.destId === null ? null : (JSON.parse(s.destId) as unknown);
  const fields = matchOn && committed && typeof committed === 'object' ? (committed as Record<string, unknown>) : { [idField]: committed };
  return { seq: s.seq, key: s.key, op: s.op, fields };
}

function countResults(results: readonly RowResult[]): Omit<OutcomeCounts, 'bytesSent'> {
  const c = { ok: 0, rejected: 0, retryable: 0 };
  for (const r of results) c[r.status]++;
  return c;
}

/** The provenance fields to add to each written record, or undefined when the destination asks for none. */
function provenanceFields(dest: DestinationSpec, p: Provenance | undefined): Record<string, unknown> | undefined {
  if (!dest.provenance || !p) return undefined;
  const out: Record<string, unknown> = {};
  const names = dest.provenance;
  if (names.runId) out[names.runId] = p.runId;
  if (names.syncedAt) out[names.syncedAt] = p.syncedAt;
  if (names.mappingVersion) out[names.mappingVersion] = p.mappingVersion;
  if (names.modelVersion) out[names.modelVersion] = p.modelVersion ?? null;
  if (names.sync) out[names.sync] = p.sync;
  return out;
}
