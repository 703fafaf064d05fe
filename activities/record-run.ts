import { Context } from '@temporalio/activity';
import { syncLogRows, type SummaryDestination } from '../domain/sync-log';
import { appendSyncLog, type SyncLogTarget } from '../runner/sync-log';
import type { RunStatus } from '../state/store';
import { asStep } from './failure';
import type { ActivityDeps } from './deps';

/** Input of {@link makeRecordRun}: a status and a summary of counts, or an error message. */
export interface RecordRunInput {
  sync: string;
  runId: string;
  status: RunStatus;
  summary?: string;
  error?: string;
  /** When the spec asks for a sync log: where, and when the run started (ISO). */
  syncLog?: SyncLogTarget & { startedAt: string };
}

/** Records a run's status in the state store's run records, and in the warehouse's sync log when asked. */
export function makeRecordRun(deps: ActivityDeps) {
  return async function recordRun(input: RecordRunInput): Promise<void> {
    return asStep({ sync: input.sync, step: 'record-run' }, async () => {
      await deps.store.setRunStatus(input.runId, input.status, { summary: input.summary, error: input.error });
      if (input.status === 'committed' || input.status === 'failed' || input.status === 'dry-run') await deps.store.releaseLock(input.sync, input.runId);
      if (input.syncLog && input.status !== 'dry-run') {
        const destinations = input.summary ? (JSON.parse(input.summary) as SummaryDestination[]) : [];
        const rows = syncLogRows({ sync: input.sync, runId: input.runId, status: input.status, startedAt: input.syncLog.startedAt, finishedAt: new Date().toISOString(), error: input.error }, destinations);
        const failed = await appendSyncLog(input.syncLog, rows, deps.connectorContext);
        if (failed) Context.current().log.warn('the sync log could not be written; the run itself is recorded', { sync: input.sync, runId: input.runId, table: input.syncLog.table, error: failed.message });
      }
    });
  };
}
