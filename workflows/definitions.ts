/** Signals, queries and updates of ebb's workflows, declared once for workflows and clients. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalDecision, RunRequest, SyncProgress } from './types';

/** Live progress of a sync run: phase, plan counts, chunks done per destination. */
export const progressQuery = defineQuery<SyncProgress>('progress');

/**
 * Asks for a run of the sync, e.g. when dbt finished rebuilding its model. Send it with
 * signal-with-start on workflow id `sync/<name>`: an idle sync starts now; a running one finishes
 * its run and then runs once more, so the new data is never missed and requests coalesce.
 */
export const requestRunSignal = defineSignal<[RunRequest]>('requestRun');

/** Approves a run that a gate paused (e.g. too many deletes); returns what was approved. */
export const approveRunUpdate = defineUpdate<string, [ApprovalDecision]>('approveRun');

/** Rejects a run that a gate paused: it stops before any write. */
export const rejectRunUpdate = defineUpdate<string, [ApprovalDecision]>('rejectRun');

/** Promotes a canary that waits for a decision (`canary.promote: approval`): the rest of the run is written. */
export const approveCanaryUpdate = defineUpdate<string, [ApprovalDecision]>('approveCanary');

/** Rejects a waiting canary: its writes are rolled back from their before-images and the run stops. */
export const rejectCanaryUpdate = defineUpdate<string, [ApprovalDecision]>('rejectCanary');
