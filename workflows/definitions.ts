/** Signals, queries and updates of ebb's workflows, declared once for workflows and clients. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { RunRequest, SyncProgress } from './types';

/** Live progress of a sync run: phase, plan counts, chunks done per destination. */
export const progressQuery = defineQuery<SyncProgress>('progress');

/**
 * Asks for a run of the sync, e.g. when dbt finished rebuilding its model. Send it with
 * signal-with-start on workflow id `sync/<name>`: an idle sync starts now; a running one finishes
 * its run and then runs once more, so the new data is never missed and requests coalesce.
 */
export const requestRunSignal = defineSignal<[RunRequest]>('requestRun');
