/**
 * The safety steps of a sync run, as workflow code: the canary's checks and decision, the
 * rollback of a run's writes, and auto-halt. Each is a named step in the Temporal UI (activity
 * summaries, and a condition summary for the wait on an operator).
 */
import { ApplicationFailure, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { EbbActivities } from '../activities';
import { canaryVerdict, type CanaryCheck } from '../domain/canary';
import { sliceChunks, type ChunkSlice } from '../domain/chunking';
import type { DestinationPlan, RunPlan } from '../domain/plan';
import type { AutoHaltSpec, CanarySpec, VerifySpec } from '../domain/spec/safety';
import { mappingAccuracy, type ReadBackResult } from '../domain/read-back';
import type { SyncSpec } from '../domain/spec/schema';
import { applyStep, commitStep, planStep } from './activity-options';
import { approveCanaryUpdate, rejectCanaryUpdate } from './definitions';
import type { ApprovalDecision, CanaryOutcome, RollbackOutcome, SyncProgress } from './types';

const { verifyCanary } = proxyActivities<EbbActivities>(planStep);
const { rollbackRun } = proxyActivities<EbbActivities>(applyStep());
const { commitDestination } = proxyActivities<EbbActivities>(commitStep);

type SetPhase = (progress: SyncProgress, phase: SyncProgress['phase']) => void;

/**
 * A destination's slices, canary first: the canary's chunks `[0, canaryChunks)` are sliced on
 * their own, so "write the canary" is "write the first `canarySlices` slices".
 */
export function destinationSlices(dp: DestinationPlan, rowsPerSlice: number): { slices: ChunkSlice[]; canarySlices: number } {
  const canaryChunks = dp.canaryChunks ?? 0;
  const canary = sliceChunks(canaryChunks, dp.chunkSize, rowsPerSlice);
  const rest = sliceChunks(dp.chunks - canaryChunks, dp.chunkSize, rowsPerSlice).map((s) => ({ from: s.from + canaryChunks, to: s.to + canaryChunks }));
  return { slices: [...canary, ...rest], canarySlices: canary.length };
}

/**
 * Checks the written canary (rejections, and a read-back of a sample where configured), then
 * promotes automatically, or waits for `approveCanary` / `rejectCanary` (or the timeout's
 * default). A failed check rejects without asking.
 */
export async function decideCanary(spec: SyncSpec, canary: CanarySpec, plan: RunPlan, runId: string, progress: SyncProgress, setPhase: SetPhase): Promise<CanaryOutcome> {
  const checks: CanaryCheck[] = await Promise.all(
    spec.destinations.map(async (dest): Promise<CanaryCheck> => {
      const dp = plan.destinations.find((d) => d.destination === dest.name);
      const outcomes = progress.destinations[dest.name].outcomes;
      if (!canary.readBack || !dp?.canaryChunks) return { destination: dest.name, outcomes };
      const readBack = await verifyCanary.executeWithOptions(
        { ...planStep, summary: `verify canary ${dest.name}: read back up to ${canary.readBack.sample} written records and compare` },
        [{ sync: spec.name, runId, primaryKey: spec.primaryKey, destination: dest, chunks: dp.canaryChunks, sample: canary.readBack.sample }],
      );
      progress.destinations[dest.name].readBack = readBack;
      return { destination: dest.name, outcomes, readBack };
    }),
  );
  const verdict = canaryVerdict(checks, canary);
  const base = { measured: verdict.measured, reasons: verdict.reasons };
  if (!verdict.passed) return { ...base, decision: 'rejected', by: 'checks' };
  if (canary.promote === 'auto') return { ...base, decision: 'promoted', by: 'checks' };

  let decision: { promoted: boolean; by: string; reason?: string } | undefined;
  const decide = (promoted: boolean) => (d: ApprovalDecision) => {
    decision = { promoted, by: d.by ?? 'an operator', reason: d.reason };
    return `canary ${promoted ? 'promoted' : 'rejected'}`;
  };
  const onlyWhileWaiting = (_d: ApprovalDecision) => {
    if (progress.phase !== 'awaiting-canary-approval' || decision) throw new Error(`sync ${spec.name} has no canary waiting for a decision`);
  };
  setHandler(approveCanaryUpdate, decide(true), { validator: onlyWhileWaiting });
  setHandler(rejectCanaryUpdate, decide(false), { validator: onlyWhileWaiting });
  setPhase(progress, 'awaiting-canary-approval');
  const rows = verdict.measured.map((m) => `${m.destination}: ${m.rows} rows, ${pct(m.rejectionRate)} rejected${m.mappingAccuracy === undefined ? '' : `, accuracy ${pct(m.mappingAccuracy)}`}`);
  const answered = await condition(() => decision !== undefined, canary.approvalTimeout, {
    summary: `waiting for a canary decision (approveCanary / rejectCanary): ${rows.join('; ')}`,
  });
  if (!answered) decision = { promoted: canary.onApprovalTimeout === 'promote', by: `timeout after ${canary.approvalTimeout}` };
  return { ...base, decision: decision!.promoted ? 'promoted' : 'rejected', by: decision!.by, ...(decision!.reason ? { reason: decision!.reason } : {}) };
}

/**
 * Post-write verification: reads a sample of each destination's written records back and
 * compares them with what was sent. Returns why the check failed, when `minAccuracy` is set and
 * not met (empty when it passed or only measures).
 */
export async function verifyWrites(spec: SyncSpec, verify: VerifySpec, plan: RunPlan, runId: string, progress: SyncProgress): Promise<string[]> {
  const failures: string[] = [];
  await Promise.all(
    spec.destinations.map(async (dest) => {
      const dp = plan.destinations.find((d) => d.destination === dest.name);
      const state = progress.destinations[dest.name];
      if (!dp?.chunks || state.committed) return;
      const found = await verifyCanary.executeWithOptions(
        { ...planStep, summary: `verify ${dest.name}: read back up to ${verify.sample} written records and compare` },
        [{ sync: spec.name, runId, primaryKey: spec.primaryKey, destination: dest, chunks: dp.chunks, sample: verify.sample }],
      );
      state.readBack = addReadBack(state.readBack, found);
      const accuracy = mappingAccuracy(found);
      if (verify.minAccuracy !== undefined && found.checked > 0 && accuracy < verify.minAccuracy) {
        failures.push(`${dest.name}: mapping accuracy ${pct(accuracy)} below ${pct(verify.minAccuracy)} over ${found.records} records read back`);
      }
    }),
  );
  return failures;
}

/** Sums two read-back results. */
function addReadBack(a: ReadBackResult | undefined, b: ReadBackResult): ReadBackResult {
  if (!a) return b;
  const fields = { ...a.mismatchedFields };
  for (const [f, n] of Object.entries(b.mismatchedFields)) fields[f] = (fields[f] ?? 0) + n;
  return { records: a.records + b.records, missing: a.missing + b.missing, inconsistent: a.inconsistent + b.inconsistent, checked: a.checked + b.checked, matched: a.matched + b.matched, mismatchedFields: fields };
}

/** Commits every destination not yet committed (after a deferred check). */
export async function commitAll(spec: SyncSpec, runId: string, plan: RunPlan, progress: SyncProgress): Promise<void> {
  await Promise.all(
    spec.destinations.map(async (dest) => {
      const state = progress.destinations[dest.name];
      if (!state || state.committed) return;
      state.committed = await commitDestination.executeWithOptions({ ...commitStep, summary: `commit ${dest.name}: snapshot and watermark for acknowledged rows` }, [
        { sync: spec.name, runId, destination: dest, watermarkHigh: plan.watermarkHigh },
      ]);
    }),
  );
}

/** Rolls back what this run wrote, on every destination it wrote to. */
export async function rollBack(spec: SyncSpec, runId: string, reason: string, progress: SyncProgress, setPhase: SetPhase): Promise<RollbackOutcome[]> {
  setPhase(progress, 'rolling-back');
  const wrote = spec.destinations.filter((d) => (progress.destinations[d.name]?.chunksDone ?? 0) > 0);
  return Promise.all(
    wrote.map(async (dest) => {
      // Inside the run the sync's lock is held, so no later run can have touched the records.
      const counts = await rollbackRun.executeWithOptions({ ...applyStep(), summary: `roll back ${dest.name}: restore the before-images of run ${runId}` }, [
        { sync: spec.name, runId, primaryKey: spec.primaryKey, destination: dest, reason, force: true },
      ]);
      return { destination: dest.name, ...counts };
    }),
  );
}

/**
 * Auto-halt fired: roll back, or keep what was written and commit the acknowledged rows, by
 * policy; either way the run fails with the reason.
 */
export async function haltRun(spec: SyncSpec, rule: AutoHaltSpec | undefined, reason: string, runId: string, plan: RunPlan, progress: SyncProgress, setPhase: SetPhase): Promise<never> {
  progress.halted = reason;
  if (rule?.then === 'leave') {
    for (const dest of spec.destinations) {
      const state = progress.destinations[dest.name];
      if (!state || state.committed) continue;
      state.committed = await commitDestination.executeWithOptions({ ...commitStep, summary: `commit ${dest.name}: acknowledged rows of a halted run` }, [
        { sync: spec.name, runId, destination: dest, watermarkHigh: plan.watermarkHigh },
      ]);
    }
    throw ApplicationFailure.nonRetryable(`[sync=${spec.name} step=auto-halt] stopped writing: ${reason}; the rows written stay, and the acknowledged ones are committed`, 'EbbHalted');
  }
  const undone = await rollBack(spec, runId, `auto-halt: ${reason}`, progress, setPhase);
  throw ApplicationFailure.nonRetryable(`[sync=${spec.name} step=auto-halt] stopped writing: ${reason}; rolled back ${describeRollback(undone)}; nothing committed`, 'EbbHalted');
}

/** "pg: 12 restored, 3 deleted" for a failure message. */
export function describeRollback(undone: readonly RollbackOutcome[]): string {
  if (undone.length === 0) return 'nothing (no writes)';
  return undone.map((u) => `${u.destination}: ${u.restored} restored, ${u.deleted} deleted${u.failed ? `, ${u.failed} FAILED` : ''}`).join('; ');
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
