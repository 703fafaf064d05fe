/** Signals, queries and updates of ebb's workflows, declared once for workflows and clients. */
import { defineQuery } from '@temporalio/workflow';
import type { SyncProgress } from './types';

/** Live progress of a sync run: phase, plan counts, chunks done per destination. */
export const progressQuery = defineQuery<SyncProgress>('progress');
