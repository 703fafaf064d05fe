import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { findSpec } from '../../../connectors/spec-files';
import { openStateStore } from '../../../state/open';
import { EbbSync } from '../../../workflows/search-attributes';
import { DEFAULT_TASK_QUEUE, syncWorkflowId, type SyncRunResult } from '../../../workflows/types';
import { CliError, ExitCode } from '../client';
import { formatRunResult, uiLink } from '../format';

/**
 * `ebb plan SYNC [--sample N]`: a dry run through Temporal. The sync's workflow plans the full
 * change set (counts per destination) and writes and commits nothing. The exact payloads of the
 * first N changes per destination, after mapping and transforms, are read from the state store
 * (`EBB_STATE_URL`), never from workflow history.
 */
export async function planCommand(client: Client, args: { sync: string; syncsDir: string; sample: number; json: boolean; fullResync: boolean }): Promise<number> {
  const { spec } = await findSpec(args.syncsDir, args.sync);
  const workflowId = syncWorkflowId(spec.name);
  let result: SyncRunResult;
  try {
    result = (await client.workflow.execute('syncWorkflow', {
      taskQueue: process.env.EBB_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
      workflowId,
      args: [{ spec, options: { dryRun: true, fullResync: args.fullResync } }],
      typedSearchAttributes: [{ key: EbbSync, value: spec.name }],
      staticSummary: `ebb plan ${spec.name} (dry run: writes nothing)`,
    })) as SyncRunResult;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new CliError(`sync ${spec.name} is running; plan it when the run ends`, ExitCode.alreadyRunning);
    throw err;
  }
  const samples: Record<string, unknown[]> = {};
  let sampleNote: string | undefined;
  if (args.sample > 0) {
    try {
      const store = await openStateStore(process.env.EBB_STATE_URL ?? `duckdb:${path.resolve('.ebb', 'state.duckdb')}`);
      try {
        for (const d of result.destinations) samples[d.destination] = await store.sampleChanges(result.runId, d.destination, args.sample);
      } finally {
        await store.close();
      }
    } catch (err) {
      sampleNote = `sample payloads need the state store (EBB_STATE_URL): ${(err as Error).message.split('\n')[0]}`;
    }
  }
  if (args.json) {
    console.log(JSON.stringify({ ...result, samples, sampleNote }, null, 2));
  } else {
    console.log(formatRunResult(result));
    for (const [dest, rows] of Object.entries(samples)) {
      console.log(`\n  sample of what ${dest} would receive:`);
      for (const r of rows) console.log(`    ${JSON.stringify(r)}`);
    }
    if (sampleNote) console.error(sampleNote);
    console.error(`dry run: nothing written, nothing committed · ${uiLink(workflowId, undefined)}`);
  }
  return ExitCode.ok;
}
