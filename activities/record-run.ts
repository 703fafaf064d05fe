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
}

/** Records a run's status in the state store's run records. */
export function makeRecordRun(deps: ActivityDeps) {
  return async function recordRun(input: RecordRunInput): Promise<void> {
    return asStep({ sync: input.sync, step: 'record-run' }, async () => {
      await deps.store.setRunStatus(input.runId, input.status, { summary: input.summary, error: input.error });
      if (input.status === 'committed' || input.status === 'failed' || input.status === 'dry-run') await deps.store.releaseLock(input.sync, input.runId);
    });
  };
}
