import { WorkflowFailedError, type Client } from '@temporalio/client';
import { findSpec } from '../../../connectors/spec-files';
import { DEFAULT_TASK_QUEUE, rollbackWorkflowId, type RollbackWorkflowResult } from '../../../workflows/types';
import { CliError, ExitCode } from '../client';

/** Arguments of `ebb rollback`. */
export interface RollbackArgs {
  sync: string;
  runId: string;
  syncsDir: string;
  destination?: string;
  force: boolean;
  reason?: string;
  json: boolean;
}

/**
 * `ebb rollback SYNC RUN`: starts `rollbackWorkflow` (workflow id `rollback/<sync>/<run>`) and
 * waits for it: every destination of the run gets its before-images back, and the records the
 * run created are deleted.
 */
export async function rollbackCommand(client: Client, args: RollbackArgs): Promise<number> {
  const { spec } = await findSpec(args.syncsDir, args.sync);
  const handle = await client.workflow.start('rollbackWorkflow', {
    taskQueue: process.env.EBB_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    workflowId: rollbackWorkflowId(spec.name, args.runId),
    args: [{ spec, runId: args.runId, destinations: args.destination ? [args.destination] : undefined, force: args.force, reason: args.reason ?? 'ebb rollback' }],
    staticSummary: `ebb rollback of run ${args.runId} of ${spec.name}${args.force ? ' (forced)' : ''}`,
  });
  let result: RollbackWorkflowResult;
  try {
    result = (await handle.result()) as RollbackWorkflowResult;
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      let e: unknown = err.cause;
      while (e instanceof Error && e.cause instanceof Error) e = e.cause;
      throw new CliError(`rollback of run ${args.runId} failed: ${e instanceof Error ? e.message : String(err)}`, ExitCode.failed);
    }
    throw err;
  }
  if (args.json) console.log(JSON.stringify(result));
  else for (const d of result.destinations) console.log(`${d.destination}: ${d.restored} records restored, ${d.deleted} created records deleted${d.failed ? `, ${d.failed} FAILED` : ''}`);
  return result.destinations.some((d) => d.failed > 0) ? ExitCode.failed : ExitCode.ok;
}
