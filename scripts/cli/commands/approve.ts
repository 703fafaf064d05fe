import os from 'node:os';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { approveCanaryUpdate, approveRunUpdate, rejectCanaryUpdate, rejectRunUpdate } from '../../../workflows/definitions';
import { syncWorkflowId } from '../../../workflows/types';
import { CliError, ExitCode } from '../client';

/**
 * `ebb approve|reject SYNC` answers a run that a gate paused; `ebb approve-canary|reject-canary SYNC`
 * answers a canary waiting for a decision. Both through a Temporal Update, so the answer is
 * validated by the run (refused when it is not waiting) and recorded in its history.
 */
export async function approveCommand(client: Client, args: { sync: string; approve: boolean; canary?: boolean; reason?: string; json: boolean }): Promise<number> {
  const handle = client.workflow.getHandle(syncWorkflowId(args.sync));
  try {
    const update = args.canary ? (args.approve ? approveCanaryUpdate : rejectCanaryUpdate) : args.approve ? approveRunUpdate : rejectRunUpdate;
    const outcome = await handle.executeUpdate(update, {
      args: [{ by: `${os.userInfo().username} (ebb CLI)`, reason: args.reason }],
    });
    console.log(args.json ? JSON.stringify({ sync: args.sync, outcome }) : outcome);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new CliError(`${(err.cause as Error | undefined)?.message ?? err.message}`, ExitCode.failed);
    throw err;
  }
}
