/**
 * The public, plain-JSON contract of `syncWorkflow`: what any Temporal client sends and gets
 * back. Nothing here carries row data: only names, counts, hashes and ranges.
 */
import type { SchemaDrift } from '../domain/alerts';
import type { CanaryVerdict } from '../domain/canary';
import type { GateVerdict } from '../domain/gates';
import type { ReadBackResult } from '../domain/read-back';
import type { DestinationPlan, OutcomeCounts, RunPlan } from '../domain/plan';
import type { SyncSpec, SyncSpecInput } from '../domain/spec/schema';

/** Input of `syncWorkflow`. */
export interface SyncWorkflowInput {
  /**
   * Either the name of a spec in the worker's `syncs/` folder (`"customers-to-crm"`), or a
   * whole spec inline, as JSON (see `syncs/sync-spec.schema.json`).
   */
  spec: string | SyncSpecInput;
  options?: SyncOptions;
  /** Set by the workflow itself when it continues as new; clients leave it out. */
  resume?: ResumeState;
  /** Why this run was started (from `requestRun`, or a client); shown in the run's details. */
  reason?: string;
}

/** Options for one run. */
export interface SyncOptions {
  /** Send every row of the model, whatever its hash (a resync). Default false. */
  fullResync?: boolean;
  /**
   * Plan only: compute the full change set (counts per destination; payloads staged in the state
   * store for `ebb plan` to show), write nothing and commit nothing. Default false.
   */
  dryRun?: boolean;
  /** Rows handled by one apply activity call (rounded to whole chunks). Default 20,000. */
  rowsPerSlice?: number;
  /** Continue as new after this many history events. Default 1,500. */
  maxHistoryEvents?: number;
  /**
   * When the warehouse data was ready (ISO-8601), e.g. when the dbt run finished: the start of
   * the sync-latency KPI. Default: when this run started.
   */
  readyAt?: string;
  /** Heartbeat timeout of apply activities: how soon a dead worker's chunk is retried. Default 30. */
  applyHeartbeatTimeoutSeconds?: number;
}

/** Payload of the `approveRun` / `rejectRun` updates. */
export interface ApprovalDecision {
  /** Who decided (a name or a system), for the record. */
  by?: string;
  reason?: string;
}

/** Payload of the `requestRun` signal: who asked, for the run's details (no row data). */
export interface RunRequest {
  /** e.g. "dbt run 2026-11-24T10:00Z finished". */
  reason?: string;
}

/** Where a run is, carried across continue-as-new so history stays bounded. */
export interface ResumeState {
  runId: string;
  startedAt: number;
  spec: SyncSpec;
  specHash: string;
  plan: RunPlan;
  /** Per destination: slices done and outcome counts so far. */
  progress: Record<string, DestinationProgress>;
  segment: number;
  /** A `requestRun` signal arrived after this run started reading: run again when it ends. */
  rerunRequested?: boolean;
  /** The canary's outcome, once decided (a continued run never re-runs its canary). */
  canary?: CanaryOutcome;
}

/** What the canary step found and decided. */
export interface CanaryOutcome {
  /** Per destination: cohort rows, their rejection rate and the read-back mapping accuracy. */
  measured: CanaryVerdict['measured'];
  /** Why the checks failed (empty when they passed). */
  reasons: string[];
  /** promoted, or rejected (then rolled back). */
  decision: 'promoted' | 'rejected';
  /** Who or what decided: `checks`, an operator, or `timeout after 1h`. */
  by: string;
  reason?: string;
}

/** What a rollback did, per destination. */
export interface RollbackOutcome {
  destination: string;
  restored: number;
  deleted: number;
  failed: number;
}

/** Apply progress of one destination. */
export interface DestinationProgress {
  slicesDone: number;
  slicesTotal: number;
  chunksDone: number;
  outcomes: OutcomeCounts;
  /** Time the destination's writes waited on its vendor account's shared request budget. */
  budgetWaitMs?: number;
  /** What reading written records back found (canary and post-write verification, summed). */
  readBack?: ReadBackResult;
  committed?: { committed: number; pending: number; watermark?: number; hashTotal?: string; pendingHashTotal?: string };
}

/** What the progress query returns. */
export interface SyncProgress {
  sync: string;
  runId?: string;
  phase: 'loading' | 'planning' | 'awaiting-approval' | 'canary' | 'awaiting-canary-approval' | 'applying' | 'rolling-back' | 'committing' | 'done' | 'failed';
  /** The canary's checks and decision, once made. */
  canary?: CanaryOutcome;
  /** Why auto-halt stopped the run. */
  halted?: string;
  /** What the pre-write gates said. */
  gates?: GateVerdict;
  /** Why the run started, when a client said. */
  reason?: string;
  segment: number;
  plan?: RunPlan;
  destinations: Record<string, DestinationProgress>;
}

/** Result of one destination in a finished run. */
export interface DestinationRunResult extends DestinationPlan, OutcomeCounts {
  /** Rows that entered the committed snapshot. */
  committed: number;
  /** Rows left for the next run (rejected or never acknowledged). */
  pending: number;
  /** Hash totals "after": of the committed changes and of the pending ones; together they make the plan's `hashTotal`. */
  committedHashTotal?: string;
  pendingHashTotal?: string;
  watermark?: number;
  kpis: RunKpis;
}

/** The seed's health KPIs that one run can measure (see domain/kpis.ts for the formulas). */
export interface RunKpis {
  /** Minutes from warehouse-ready to committed in the destination. */
  latencyMinutes: number;
  /** Within the spec's `sla`, when it has one. */
  onTime?: boolean;
  /** % of planned rows the destination acknowledged. */
  rowCoverage?: number;
  /** Rows changed in the destination ÷ rows changed in the model (1 = only deltas moved). */
  changePropagationEfficiency?: number;
  /** With the spec's `costModel`. */
  costPerMillionRows?: number;
  /** % of read-back field values equal to what was sent (canary or `verify` samples). */
  mappingAccuracy?: number;
  /** % of read-back records missing or holding a wrong value. */
  consistencyErrorRate?: number;
}

/** What `syncWorkflow` returns. */
export interface SyncRunResult {
  sync: string;
  runId: string;
  /** `dry-run`: planned only, nothing written or committed (counts are what a run would send). */
  status: 'committed' | 'dry-run';
  rowsRead: number;
  nullKeys: number;
  /** How the model's columns changed since the last committed run (policy warn). */
  schemaDrift?: SchemaDrift;
  /** Content hash of the consent policy the run applied. */
  policyVersion?: string;
  /** What the pre-write gates said (warnings; approvals and who gave them). */
  gates?: GateVerdict & { approvedBy?: string };
  destinations: DestinationRunResult[];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Continue-as-new segments this run used. */
  segments: number;
  /** The canary's checks and decision, when the sync has a canary. */
  canary?: CanaryOutcome;
}

/** Input of `rollbackWorkflow`: undo a past run on its destinations, from its before-images. */
export interface RollbackWorkflowInput {
  /** The sync: a spec name in the worker's syncs folder, or a whole spec inline. */
  spec: string | SyncSpecInput;
  /** The run to undo (its ebb run id, as `ebb runs` lists it). */
  runId: string;
  /** Only these destinations (by name). Default: every destination of the spec. */
  destinations?: string[];
  /** Restore even when later runs changed some of the same records since. */
  force?: boolean;
  /** Why, for the record. */
  reason?: string;
}

/** What `rollbackWorkflow` returns. */
export interface RollbackWorkflowResult {
  sync: string;
  runId: string;
  destinations: RollbackOutcome[];
}

/** Workflow id of a rollback: one per (sync, run), so the same rollback never runs twice at once. */
export function rollbackWorkflowId(syncName: string, runId: string): string {
  return `rollback/${syncName}/${runId}`;
}

/** Temporal workflow id of a sync: one id per sync, so Temporal runs at most one at a time. */
export function syncWorkflowId(syncName: string): string {
  return `sync/${syncName}`;
}

/** Task queue the ebb worker listens on by default. */
export const DEFAULT_TASK_QUEUE = 'ebb';
