import os from 'node:os';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { approveRunUpdate, rejectRunUpdate } from '../../../workflows/definitions';
import { syncWorkflowId } from '../../../workflows/types';
import { CliError, ExitCode } from '../client';

/** `ebb approve|reject SYNC [--reason TEXT]`: answers a run that a gate paused, through a Temporal Update. */
export async function approveCommand(client: Client, args: { sync: string; approve: boolean; reason?: string; json: boolean }): Promise<number> {
  const handle = client.workflow.getHandle(syncWorkflowId(args.sync));
  try {
    const outcome = await handle.executeUpdate(args.approve ? approveRunUpdate : rejectRunUpdate, {
      args: [{ by: `${os.userInfo().username} (ebb CLI)`, reason: args.reason }],
    });
    console.log(args.json ? JSON.stringify({ sync: args.sync, outcome }) : outcome);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new CliError(`${(err.cause as Error | undefined)?.message ?? err.message}`, ExitCode.failed);
    throw err;
  }
}
