import { Context } from '@temporalio/activity';
import { requestRunSignal } from '../workflows/definitions';
import { EbbSync } from '../workflows/search-attributes';
import { syncWorkflowId } from '../workflows/types';
import { asStep } from './failure';

/** Input of {@link makeStartNextSyncs}. */
export interface StartNextSyncsInput {
  sync: string;
  runId: string;
  /** Sync names from the spec's `then`. */
  next: string[];
  taskQueue: string;
}

/**
 * Sequences: after a successful run, asks each `then` sync to run, with signal-with-start on
 * its workflow id, so an idle sync starts and a running one runs again when it finishes.
 */
export function makeStartNextSyncs() {
  return async function startNextSyncs(input: StartNextSyncsInput): Promise<string[]> {
    const client = Context.current().client;
    return asStep({ sync: input.sync, step: 'then' }, async () => {
      const started: string[] = [];
      for (const name of input.next) {
        const reason = `after ${input.sync} run ${input.runId}`;
        const handle = await client.workflow.signalWithStart('syncWorkflow', {
          workflowId: syncWorkflowId(name),
          taskQueue: input.taskQueue,
          args: [{ spec: name, reason }],
          signal: requestRunSignal,
          signalArgs: [{ reason }],
          typedSearchAttributes: [{ key: EbbSync, value: name }],
        });
        started.push(`${handle.workflowId}@${handle.signaledRunId}`);
      }
      return started;
    });
  };
}
