import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client } from '@temporalio/client';
import { findSpec } from '../../../connectors/spec-files';
import { progressQuery } from '../../../workflows/definitions';
import { EbbSync } from '../../../workflows/search-attributes';
import { DEFAULT_TASK_QUEUE, syncWorkflowId, type SyncRunResult } from '../../../workflows/types';
import { CliError, ExitCode } from '../client';
import { formatProgress, formatRunResult, uiLink } from '../format';

/** Arguments of `ebb run`. */
export interface RunArgs {
  sync: string;
  syncsDir: string;
  fullResync: boolean;
  wait: boolean;
  json: boolean;
  taskQueue?: string;
}

/**
 * `ebb run <sync>`: validates the spec locally, starts `syncWorkflow` with it inline under
 * workflow id `sync/<name>` (so Temporal refuses a second concurrent run), then shows progress
 * from the progress query until the run ends.
 */
export async function runCommand(client: Client, args: RunArgs): Promise<number> {
  const { spec } = await findSpec(args.syncsDir, args.sync);
  const workflowId = syncWorkflowId(spec.name);
  let handle;
  try {
    handle = await client.workflow.start('syncWorkflow', {
      taskQueue: args.taskQueue ?? process.env.EBB_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
      workflowId,
      args: [{ spec, options: { fullResync: args.fullResync } }],
      typedSearchAttributes: [{ key: EbbSync, value: spec.name }],
      staticSummary: `ebb sync ${spec.name}${args.fullResync ? ' (full resync)' : ''}`,
      staticDetails: spec.destinations.map((d) => `- **${d.name}**: ${d.kind} \`${d.object}\`, ${d.mode}, batches of ${d.batchSize}`).join('\n'),
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new CliError(`sync ${spec.name} is already running (workflow ${workflowId}); one run at a time`, ExitCode.alreadyRunning);
    }
    throw err;
  }
  const runId = handle.firstExecutionRunId;
  if (!args.json) console.error(`started ${workflowId} run ${runId}\n  ${uiLink(workflowId, runId)}`);
  if (!args.wait) {
    if (args.json) console.log(JSON.stringify({ workflowId, runId }));
    return ExitCode.ok;
  }
  const tty = process.stderr.isTTY && !args.json;
  const timer = setInterval(async () => {
    const p = await handle.query(progressQuery).catch(() => undefined);
    if (p && tty) process.stderr.write(`\r${formatProgress(p)}`);
    else if (p && !args.json) console.error(formatProgress(p));
  }, tty ? 500 : 5_000);
  try {
    const result = (await handle.result()) as SyncRunResult;
    if (tty) process.stderr.write('\n');
    console.log(args.json ? JSON.stringify(result, null, 2) : formatRunResult(result));
    return result.destinations.some((d) => d.pending > 0) ? ExitCode.failed : ExitCode.ok;
  } catch (err) {
    if (tty) process.stderr.write('\n');
    if (err instanceof WorkflowFailedError) {
      const reason = innermost(err);
      if (args.json) console.log(JSON.stringify({ workflowId, runId, status: 'failed', error: reason }));
      else console.error(`run failed: ${reason}`);
      return ExitCode.failed;
    }
    throw err;
  } finally {
    clearInterval(timer);
  }
}

function innermost(err: Error): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
